#!/usr/bin/env bash
# Capture what the real keepalived (2.2.7) hands to notify scripts and writes to its notify
# FIFOs, as a golden for test/unit/io/notify-golden.test.ts.
#
# One private network namespace with a veth pair; keepalived (VRRP only) runs there with:
#   VI_1   priority 255, notify_master/backup/fault/stop and a generic `notify` script;
#   G1     a sync group of VI_2 + VI_3 (priority 200) with group notify scripts;
#   VI_4   priority 100 + a weighted track_file, notify_priority_changes on.
# Every script is one logging script (scripts/… copied to a root-owned tmp dir) whose first
# argument names the keyword; it appends its argv, `|`-separated, to calls.log.
# Timeline: start (BACKUP -> MASTER), track file 0 -> 3 (priority change), link down
# (FAULT), link up (BACKUP -> MASTER), SIGTERM (STOP).
# Output (default test/fixtures/notify/keepalived-2.2.7.json):
#   { fifo: "<bytes of notify_fifo>", vrrpFifo: "<bytes of vrrp_notify_fifo>", calls: [argv...] }
# with the tmp dir replaced by /KTS. calls are sorted (scripts run concurrently, their order
# is not defined); the FIFO bytes are in keepalived's order.
# Needs root. Everything carries the prefix ktsnotify-<pid> and is removed by the EXIT trap.
set -euo pipefail

HERE="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$HERE/test/fixtures/notify/keepalived-2.2.7.json}"
PFX="ktsnotify-$$"
NS="$PFX"
TMP="$(mktemp -d "/tmp/$PFX-XXXXXX")"
chmod 755 "$TMP"

cleanup() {
  set +e
  if [[ -n "${KA_PID:-}" ]]; then kill "$KA_PID" 2>/dev/null; wait "$KA_PID" 2>/dev/null; fi
  for p in "${READERS[@]:-}"; do [[ -n "$p" ]] && kill "$p" 2>/dev/null; done
  ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
READERS=()

ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add veth0 type veth peer name veth1
ip -n "$NS" link set veth0 up
ip -n "$NS" link set veth1 up
ip -n "$NS" addr add 10.12.0.1/24 dev veth0

cat >"$TMP/log.sh" <<'EOF'
#!/bin/sh
# Append this script's argv, `|`-separated, to calls.log next to it.
out="$(dirname "$0")/calls.log"
line="$0"
for a in "$@"; do line="$line|$a"; done
printf '%s\n' "$line" >>"$out"
EOF
chmod 755 "$TMP/log.sh"
echo 0 >"$TMP/track"

# The FIFOs exist before keepalived starts, so our readers are attached from the first event.
mkfifo -m 600 "$TMP/fifo" "$TMP/vfifo"
cat "$TMP/fifo" >"$TMP/fifo.out" & READERS+=($!)
cat "$TMP/vfifo" >"$TMP/vfifo.out" & READERS+=($!)

S="$TMP/log.sh"
cat >"$TMP/keepalived.conf" <<EOF
global_defs {
  router_id ktsnotify
  enable_script_security
  script_user root
  notify_fifo $TMP/fifo
  vrrp_notify_fifo $TMP/vfifo
}
track_file tf {
  file $TMP/track
  weight 10
}
vrrp_instance VI_1 {
  state BACKUP
  interface veth0
  virtual_router_id 61
  priority 255
  advert_int 1
  virtual_ipaddress {
    10.12.0.61
  }
  notify_master "$S master_VI_1"
  notify_backup "$S backup_VI_1"
  notify_fault "$S fault_VI_1"
  notify_stop "$S stop_VI_1"
  notify "$S notify_VI_1 'two words'"
}
vrrp_instance VI_2 {
  state BACKUP
  interface veth0
  virtual_router_id 62
  priority 200
  advert_int 1
  virtual_ipaddress {
    10.12.0.62
  }
}
vrrp_instance VI_3 {
  state BACKUP
  interface veth0
  virtual_router_id 63
  priority 200
  advert_int 1
  virtual_ipaddress {
    10.12.0.63
  }
}
vrrp_sync_group G1 {
  group {
    VI_2
    VI_3
  }
  notify_master "$S master_G1"
  notify_backup "$S backup_G1"
  notify_fault "$S fault_G1"
  notify_stop "$S stop_G1"
  notify "$S notify_G1"
}
vrrp_instance VI_4 {
  state BACKUP
  interface veth0
  virtual_router_id 64
  priority 100
  advert_int 1
  notify_priority_changes
  virtual_ipaddress {
    10.12.0.64
  }
  track_file {
    tf
  }
  notify "$S notify_VI_4"
}
EOF

ip netns exec "$NS" keepalived -n -l -D -P -f "$TMP/keepalived.conf" \
  -p "$TMP/keepalived.pid" -r "$TMP/vrrp.pid" >"$TMP/keepalived.log" 2>&1 &
KA_PID=$!

wait_for() { # wait_for FILE PATTERN COUNT
  for _ in $(seq 1 150); do
    if [[ "$(grep -c -- "$2" "$1" 2>/dev/null || true)" -ge "$3" ]]; then return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for $3 x '$2' in $1" >&2
  cat "$TMP/keepalived.log" >&2
  exit 1
}

wait_for "$TMP/fifo.out" ' MASTER ' 5        # VI_1, VI_2, VI_3, VI_4, G1
sleep 1
echo 3 >"$TMP/track"                          # VI_4: 100 -> 130
wait_for "$TMP/fifo.out" 'MASTER_PRIORITY' 1
sleep 0.5
ip -n "$NS" link set veth0 down
wait_for "$TMP/fifo.out" ' FAULT ' 5
sleep 0.5
ip -n "$NS" link set veth0 up
wait_for "$TMP/fifo.out" ' MASTER ' 10
sleep 1
kill -TERM "$KA_PID"
wait "$KA_PID" || true
KA_PID=
for p in "${READERS[@]}"; do wait "$p" 2>/dev/null || true; done
READERS=()
sleep 0.5

mkdir -p "$(dirname "$OUT")"
TMP="$TMP" node --input-type=module -e '
  import { readFileSync, writeFileSync } from "node:fs";
  const tmp = process.env.TMP;
  const norm = (s) => s.split(tmp).join("/KTS");
  const read = (f) => norm(readFileSync(`${tmp}/${f}`, "utf8"));
  const calls = read("calls.log").split("\n").filter(Boolean).map((l) => l.split("|")).sort((a, b) => a.join("|").localeCompare(b.join("|")));
  const golden = {
    keepalived: "2.2.7",
    captured: "scripts/capture-notify-golden.sh",
    fifo: read("fifo.out"),
    vrrpFifo: read("vfifo.out"),
    calls,
  };
  writeFileSync(process.argv[1], JSON.stringify(golden, null, 2) + "\n");
' "$OUT"
echo "wrote $OUT" >&2
grep -E 'notify|fifo|script|Entering|STOP' "$TMP/keepalived.log" | sed "s|$TMP|/KTS|g" >&2 || true
