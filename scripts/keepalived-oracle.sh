#!/bin/sh
# Run the real keepalived's config test (`keepalived -t`) on FILE inside a throw-away network
# namespace that matches the fixture environment of test/netns/config-oracle.test.ts:
#   lo, dummy eth0 (192.168.50.1/24, fe80::1/64), dummy eth1 (10.0.1.1/24), dummy eth2; all up.
# Kernels without the dummy driver get port-less bridges instead (also ARPHRD_ETHER; keepalived -t
# only parses and looks interfaces up, it does not care about carrier).
# Usage: scripts/keepalived-oracle.sh FILE [CONFIG_ID]
# Prints keepalived's stderr, then a final line `rc=N`. Exits with keepalived's rc.
# Needs root. The namespace is deleted on exit (also on error/interrupt).
set -u
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 FILE [CONFIG_ID]" >&2
  exit 2
fi
FILE=$1
ID=${2:-}
NS="ktsfix-$$-$(date +%s%N | tail -c 7)"

cleanup() { ip netns del "$NS" 2>/dev/null; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

ip netns add "$NS" || exit 3
ip -n "$NS" link set lo up
for i in eth0 eth1 eth2; do
  ip -n "$NS" link add "$i" type dummy 2>/dev/null ||
    ip -n "$NS" link add "$i" type bridge || exit 3
  ip -n "$NS" link set "$i" up
done
ip -n "$NS" addr add 192.168.50.1/24 dev eth0
ip -n "$NS" -6 addr add fe80::1/64 dev eth0 nodad
ip -n "$NS" addr add 10.0.1.1/24 dev eth1

if [ -n "$ID" ]; then
  out=$(ip netns exec "$NS" keepalived -t -f "$FILE" -i "$ID" 2>&1)
else
  out=$(ip netns exec "$NS" keepalived -t -f "$FILE" 2>&1)
fi
rc=$?
[ -n "$out" ] && printf '%s\n' "$out"
echo "rc=$rc"
exit $rc
