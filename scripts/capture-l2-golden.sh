#!/usr/bin/env bash
# Capture real keepalived gratuitous ARPs and unsolicited Neighbour Advertisements as golden
# fixtures for test/unit/l2/*.test.ts.
#
# Runs the installed keepalived (2.2.7) inside two private network namespaces joined by veth
# pairs. Three instances start as MASTER (priority 255):
#   L2_V4    on veth0: two IPv4 VIPs                       -> GARPs from veth0's MAC
#   L2_VMAC  on veth0 with use_vmac: one IPv4 VIP          -> GARPs from the VMAC 00:00:5e:00:01:39
#   L2_V6    on veth0 (IPv6 forwarding off): a link-local and a global VIP -> NAs, no Router flag
#   L2_V6R   on veth2 (IPv6 forwarding on):  one global VIP -> NAs with the Router flag
# tcpdump records ARP and Neighbour Advertisements on veth0 and veth2 for a few seconds and
# the frames go to test/fixtures/l2/keepalived-2.2.7.json (hex, as on the wire).
# Needs root. Everything it creates carries the prefix ktsl2-<pid>- and is removed by the EXIT
# trap, even on failure. No traffic leaves the namespaces.
set -euo pipefail

HERE="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$HERE/test/fixtures/l2/keepalived-2.2.7.json}"
PFX="ktsl2-$$"
NSA="$PFX-a"
NSB="$PFX-b"
TMP="$(mktemp -d "/tmp/$PFX-XXXXXX")"
TCPDUMP_PIDS=()

cleanup() {
  set +e
  if [[ -n "${KA_PID:-}" ]]; then kill -TERM "$KA_PID" 2>/dev/null; wait "$KA_PID" 2>/dev/null; fi
  for p in "${TCPDUMP_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  ip netns pids "$NSA" 2>/dev/null | xargs -r kill -9 2>/dev/null
  ip netns pids "$NSB" 2>/dev/null | xargs -r kill -9 2>/dev/null
  ip netns del "$NSA" 2>/dev/null
  ip netns del "$NSB" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

ip netns add "$NSA"
ip netns add "$NSB"
ip -n "$NSA" link add veth0 type veth peer name veth1 netns "$NSB"
ip -n "$NSA" link add veth2 type veth peer name veth3 netns "$NSB"
for ns in "$NSA" "$NSB"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  ip -n "$ns" link set lo up
done
ip -n "$NSA" link set veth0 address 02:00:00:00:00:0a
ip -n "$NSA" link set veth2 address 02:00:00:00:00:2a
ip -n "$NSB" link set veth1 address 02:00:00:00:00:0b
ip -n "$NSB" link set veth3 address 02:00:00:00:00:3b
# keepalived reads /proc/sys/net/ipv6/conf/<if>/forwarding to decide the NA Router flag.
ip netns exec "$NSA" sysctl -qw net.ipv6.conf.veth0.forwarding=0 net.ipv6.conf.veth2.forwarding=1
for l in "$NSA veth0" "$NSA veth2" "$NSB veth1" "$NSB veth3"; do
  set -- $l
  ip -n "$1" link set "$2" up
done
ip -n "$NSA" addr add 10.12.0.1/24 dev veth0
ip -n "$NSA" addr add 10.12.2.1/24 dev veth2
ip -n "$NSB" addr add 10.12.0.2/24 dev veth1
ip -n "$NSB" addr add 10.12.2.2/24 dev veth3

# Addresses are from private / documentation ranges.
cat >"$TMP/keepalived.conf" <<'EOF'
global_defs {
  router_id ktsl2
}
vrrp_instance L2_V4 {
  state MASTER
  interface veth0
  virtual_router_id 71
  priority 255
  advert_int 1
  virtual_ipaddress {
    10.12.0.71
    10.12.0.171
  }
}
vrrp_instance L2_VMAC {
  state MASTER
  interface veth0
  use_vmac
  virtual_router_id 57
  priority 255
  advert_int 1
  virtual_ipaddress {
    10.12.0.57
  }
}
vrrp_instance L2_V6 {
  state MASTER
  interface veth0
  version 3
  virtual_router_id 72
  priority 255
  advert_int 1
  virtual_ipaddress {
    fe80::72
    2001:db8:12::72
  }
}
vrrp_instance L2_V6R {
  state MASTER
  interface veth2
  version 3
  virtual_router_id 73
  priority 255
  advert_int 1
  virtual_ipaddress {
    2001:db8:12:2::73
  }
}
EOF

# ARP, and ICMPv6 type 136 (Neighbour Advertisement) without extension headers.
FILTER='arp or (icmp6 and ip6[40] == 136)'
for ifn in veth0 veth2; do
  ip netns exec "$NSA" tcpdump -i "$ifn" -U -nn -w "$TMP/$ifn.pcap" "$FILTER" 2>"$TMP/tcpdump-$ifn.err" &
  TCPDUMP_PIDS+=($!)
done
sleep 1
ip netns exec "$NSA" keepalived -n -l -D -P -f "$TMP/keepalived.conf" \
  -p "$TMP/keepalived.pid" -r "$TMP/vrrp.pid" >"$TMP/keepalived.log" 2>&1 &
KA_PID=$!
sleep 4
kill -TERM "$KA_PID"
wait "$KA_PID" || true
KA_PID=
sleep 0.5
for p in "${TCPDUMP_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; done
TCPDUMP_PIDS=()

for ifn in veth0 veth2; do tcpdump -r "$TMP/$ifn.pcap" -nn -tt -e -xx 2>/dev/null >"$TMP/$ifn.txt"; done
python3 - "$TMP/veth0.txt" "$TMP/veth2.txt" "$TMP/keepalived.conf" "$OUT" <<'PY'
import json, sys
txt0, txt2, conf, out = sys.argv[1:]
frames = []
for ifname, txt in (('veth0', txt0), ('veth2', txt2)):
    cur = None
    for line in open(txt):
        if not line.startswith('\t'):
            cur = {'interface': ifname, 'time': float(line.split()[0]), 'summary': line.strip(), 'hex': ''}
            frames.append(cur)
        else:
            cur['hex'] += ''.join(line.split(':', 1)[1].split())
frames.sort(key=lambda f: f['time'])
t0 = frames[0]['time'] if frames else 0.0
for f in frames:
    f['time'] = round(f['time'] - t0, 6)
    f['summary'] = f['summary'].split(' ', 1)[1]
json.dump({'keepalived': '2.2.7',
           'captured': 'scripts/capture-l2-golden.sh: keepalived -n -l -D -P in netns (all instances MASTER, '
                       'priority 255), tcpdump -e -xx on veth0 (IPv6 forwarding 0) and veth2 (forwarding 1), '
                       'stopped with SIGTERM after 4 s',
           'config': open(conf).read(), 'frames': frames},
          open(out, 'w'), indent=1)
print(f'{len(frames)} frames -> {out}')
PY
grep -E 'Entering|gratuitous|Neighbour' "$TMP/keepalived.log" | head -20 || true
