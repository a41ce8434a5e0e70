#!/usr/bin/env bash
# Capture real keepalived VRRP adverts as golden fixtures for test/unit/vrrp/golden.test.ts.
#
# Runs the installed keepalived (2.2.7) inside two private network namespaces joined by a
# veth pair, records every VRRP frame with tcpdump, stops keepalived (so the priority-0
# adverts are captured too) and writes test/fixtures/packets/keepalived-2.2.7.json, then
# -fault.json (MASTER -> FAULT) and -ah.json (auth_type AH).
# Needs root. Everything it creates carries the prefix ktsgold-<pid>- and is removed by the
# EXIT trap, even on failure. No traffic leaves the namespaces.
set -euo pipefail

HERE="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$HERE/test/fixtures/packets/keepalived-2.2.7.json}"
PFX="ktsgold-$$"
NSA="$PFX-a"
NSB="$PFX-b"
TMP="$(mktemp -d "/tmp/$PFX-XXXXXX")"

cleanup() {
  set +e
  if [[ -f "$TMP/keepalived.pid" ]]; then kill "$(cat "$TMP/keepalived.pid")" 2>/dev/null; sleep 0.5; fi
  if [[ -n "${TCPDUMP_PID:-}" ]]; then kill "$TCPDUMP_PID" 2>/dev/null; wait "$TCPDUMP_PID" 2>/dev/null; fi
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
for ns in "$NSA" "$NSB"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  ip -n "$ns" link set lo up
done
ip -n "$NSA" link set veth0 address 02:00:00:00:00:0a
ip -n "$NSB" link set veth1 address 02:00:00:00:00:0b
ip -n "$NSA" link set veth0 up
ip -n "$NSB" link set veth1 up
ip -n "$NSA" addr add 10.11.0.1/24 dev veth0
ip -n "$NSB" addr add 10.11.0.2/24 dev veth1
ip -n "$NSB" addr add 10.11.0.3/24 dev veth1

to_json() { # pcap conf out note
  tcpdump -r "$1" -nn -tt -xx 2>/dev/null >"$TMP/cap.txt"
  python3 - "$TMP/cap.txt" "$2" "$3" "$4" <<'PY'
import json, sys
txt, conf, out, note = sys.argv[1:]
frames, cur = [], None
for line in open(txt):
    if not line.startswith('\t'):
        cur = {'time': float(line.split()[0]), 'summary': line.strip(), 'hex': ''}
        frames.append(cur)
    else:
        cur['hex'] += ''.join(line.split(':', 1)[1].split())
t0 = frames[0]['time'] if frames else 0.0
for f in frames:
    f['time'] = round(f['time'] - t0, 6)
json.dump({'keepalived': '2.2.7', 'captured': note, 'config': open(conf).read(), 'frames': frames},
          open(out, 'w'), indent=1)
print(f'{len(frames)} frames -> {out}')
PY
}

# capture NAME FILTER ACTIONS: keepalived on $TMP/NAME.conf in the first namespace, tcpdump
# FILTER on veth0 into $TMP/NAME.pcap; ACTIONS (shell code) runs meanwhile, then SIGTERM.
capture() {
  local name="$1" filter="$2" actions="$3"
  rm -f "$TMP/keepalived.pid"
  ip netns exec "$NSA" tcpdump -i veth0 -U -nn -w "$TMP/$name.pcap" "$filter" 2>"$TMP/tcpdump.err" &
  TCPDUMP_PID=$!
  sleep 1
  ip netns exec "$NSA" keepalived -n -l -D -P -f "$TMP/$name.conf" \
    -p "$TMP/keepalived.pid" -r "$TMP/vrrp.pid" >"$TMP/$name.log" 2>&1 &
  KA_PID=$!
  eval "$actions"
  kill -TERM "$KA_PID"
  wait "$KA_PID" || true
  sleep 1
  kill "$TCPDUMP_PID"
  wait "$TCPDUMP_PID" 2>/dev/null || true
  TCPDUMP_PID=
}

# GOLDEN_ONLY=ah captures only the third fixture (the others keep their bytes and timings).
if [[ "${GOLDEN_ONLY:-all}" == all ]]; then
# One instance per fixture kind; addresses are from private / documentation ranges.
cat >"$TMP/main.conf" <<'EOF'
global_defs {
  router_id ktsgold
}
vrrp_instance G_V2_NONE {
  state BACKUP
  interface veth0
  version 2
  virtual_router_id 51
  priority 150
  advert_int 1
  virtual_ipaddress {
    10.11.0.51
    10.11.0.151
  }
}
vrrp_instance G_V2_PASS {
  state BACKUP
  interface veth0
  version 2
  virtual_router_id 53
  priority 200
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass kts-pw
  }
  virtual_ipaddress {
    10.11.0.53
  }
}
vrrp_instance G_V3_INET {
  state BACKUP
  interface veth0
  version 3
  virtual_router_id 52
  priority 120
  advert_int 0.25
  virtual_ipaddress {
    10.11.0.52
  }
}
vrrp_instance G_V3_INET6 {
  state BACKUP
  interface veth0
  version 3
  virtual_router_id 54
  priority 110
  advert_int 0.5
  virtual_ipaddress {
    fe80::54
    2001:db8:11::54
  }
}
vrrp_instance G_V3_UNICAST {
  state BACKUP
  interface veth0
  version 3
  virtual_router_id 55
  priority 130
  advert_int 1
  unicast_src_ip 10.11.0.1
  unicast_peer {
    10.11.0.2
    10.11.0.3
  }
  virtual_ipaddress {
    10.11.0.55
  }
}
vrrp_instance G_V2_UNICAST {
  state BACKUP
  interface veth0
  version 2
  virtual_router_id 56
  priority 140
  advert_int 1
  unicast_src_ip 10.11.0.1
  unicast_peer {
    10.11.0.2
  }
  virtual_ipaddress {
    10.11.0.56
  }
}
EOF

capture main 'ip proto 112 or ip6 proto 112' 'sleep 7'
to_json "$TMP/main.pcap" "$TMP/main.conf" "$OUT" \
  'scripts/capture-golden.sh: keepalived -n -l -D -P in netns, tcpdump -xx on veth0, stopped with SIGTERM after 7 s'
grep -E 'Entering|priority|sent 0' "$TMP/main.log" | head -40 || true

# Second capture: a MASTER whose tracked interface goes down (MASTER -> FAULT).
ip -n "$NSA" link add trk0 type veth peer name trk1
ip -n "$NSA" link set trk0 up
ip -n "$NSA" link set trk1 up
cat >"$TMP/fault.conf" <<'EOF2'
vrrp_instance G_FAULT {
  state BACKUP
  interface veth0
  virtual_router_id 61
  priority 200
  advert_int 1
  track_interface {
    trk0
  }
  virtual_ipaddress {
    10.11.0.61
  }
}
EOF2
capture fault 'ip proto 112' 'sleep 5; ip -n "$NSA" link set trk0 down; sleep 2'
to_json "$TMP/fault.pcap" "$TMP/fault.conf" "${OUT%.json}-fault.json" \
  'scripts/capture-golden.sh: MASTER with track_interface trk0; trk0 set down after 5 s, SIGTERM after 7 s'
grep -E 'Entering|sent 0' "$TMP/fault.log" || true
fi

# Third capture: auth_type AH, multicast and unicast (IP protocol 51, HMAC-MD5-96 ICV),
# each a MASTER after its Master_Down timer, then stopped (priority 0).
cat >"$TMP/ah.conf" <<'EOF3'
vrrp_instance G_AH {
  state BACKUP
  interface veth0
  virtual_router_id 71
  priority 200
  advert_int 1
  authentication {
    auth_type AH
    auth_pass kts-ah
  }
  virtual_ipaddress {
    10.11.0.71
  }
}
vrrp_instance G_AH_UNICAST {
  state BACKUP
  interface veth0
  virtual_router_id 72
  priority 190
  advert_int 1
  unicast_src_ip 10.11.0.1
  unicast_peer {
    10.11.0.2
    10.11.0.3
  }
  authentication {
    auth_type AH
    auth_pass ah-uni-8
  }
  virtual_ipaddress {
    10.11.0.72
  }
}
EOF3
capture ah 'ip proto 51' 'sleep 7'
to_json "$TMP/ah.pcap" "$TMP/ah.conf" "${OUT%.json}-ah.json" \
  'scripts/capture-golden.sh: auth_type AH, multicast (vrid 71) and unicast (vrid 72), SIGTERM after 7 s'
grep -E 'Entering|sent 0|AH' "$TMP/ah.log" || true
