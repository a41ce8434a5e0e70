#!/usr/bin/env bash
# Capture the dump files the real keepalived (2.2.7) writes on its dump signals, as goldens for
# test/unit/dump/*.test.ts.
#
# One private network namespace with a veth pair; keepalived runs there (VRRP process only: the
# host kernel has no IPVS, so keepalived's checker process cannot start; keepalived_check.data
# is reproduced from check_data.c instead) on test/fixtures/dumps/keepalived.conf with TMPDIR
# set to a private directory:
#   VI_1  VRRPv2, priority 150, state MASTER, PASS authentication, two VIPs and one eVIP;
#   VI_2  VRRPv3, priority 100, state BACKUP (alone on the link it becomes MASTER too);
# After both instances are MASTER it sends USR1 (DATA), USR2 (STATS), 36 (JSON), then 63
# (STATS_CLEAR) and USR2 again, and copies the files to test/fixtures/dumps/
# keepalived-2.2.7.{data,json,stats,stats-at-clear,stats-after-clear} (tmp dir replaced by
# /KTS) and the mode of each file to keepalived-2.2.7.modes.
# Needs root. Everything carries the prefix ktsdump-<pid> and is removed by the EXIT trap.
set -euo pipefail

HERE="$(cd "$(dirname "$0")/.." && pwd)"
OUT="${1:-$HERE/test/fixtures/dumps}"
PFX="ktsdump-$$"
NS="$PFX"
TMP="$(mktemp -d "/tmp/$PFX-XXXXXX")"
chmod 755 "$TMP"

cleanup() {
  set +e
  if [[ -n "${KA_PID:-}" ]]; then kill "$KA_PID" 2>/dev/null; wait "$KA_PID" 2>/dev/null; fi
  ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
  ip netns del "$NS" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add veth0 type veth peer name veth1
ip -n "$NS" link set veth0 up
ip -n "$NS" link set veth1 up
ip -n "$NS" addr add 10.13.0.1/24 dev veth0

cp "$OUT/keepalived.conf" "$TMP/keepalived.conf"

TMPDIR="$TMP" ip netns exec "$NS" keepalived -n -l -D -P -f "$TMP/keepalived.conf" \
  -p "$TMP/k.pid" -r "$TMP/v.pid" -c "$TMP/c.pid" >"$TMP/ka.log" 2>&1 &
KA_PID=$!

wait_for() { # pattern file timeout-s
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    if [[ -f "$2" ]] && grep -q "$1" "$2"; then return 0; fi
    sleep 0.1
  done
  echo "timeout waiting for '$1' in $2" >&2
  cat "$TMP/ka.log" >&2
  return 1
}
wait_file() { # file timeout-s
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    if [[ -s "$1" ]]; then sleep 0.2; return 0; fi
    sleep 0.1
  done
  echo "timeout waiting for $1" >&2
  return 1
}

wait_for '(VI_1) Entering MASTER STATE' "$TMP/ka.log" 20
wait_for '(VI_2) Entering MASTER STATE' "$TMP/ka.log" 20
sleep 3 # a few adverts and both checkers run
PID="$(cat "$TMP/k.pid")"

kill -USR1 "$PID"
wait_file "$TMP/keepalived.data" 5
kill -USR2 "$PID"
wait_file "$TMP/keepalived.stats" 5
kill -36 "$PID"
wait_file "$TMP/keepalived.json" 5
mv "$TMP/keepalived.stats" "$TMP/first.stats"
kill -63 "$PID"
wait_file "$TMP/keepalived.stats" 5
mv "$TMP/keepalived.stats" "$TMP/cleared.stats"
kill -USR2 "$PID"
wait_file "$TMP/keepalived.stats" 5

mkdir -p "$OUT"
(cd "$TMP" && stat -c '%n %a' keepalived.data keepalived.json keepalived.stats) >"$OUT/keepalived-2.2.7.modes"
sed "s#$TMP#/KTS#g" "$TMP/keepalived.data" >"$OUT/keepalived-2.2.7.data"
sed "s#$TMP#/KTS#g" "$TMP/keepalived.json" >"$OUT/keepalived-2.2.7.json"
cp "$TMP/first.stats" "$OUT/keepalived-2.2.7.stats"
cp "$TMP/cleared.stats" "$OUT/keepalived-2.2.7.stats-at-clear"
cp "$TMP/keepalived.stats" "$OUT/keepalived-2.2.7.stats-after-clear"
echo "written to $OUT"
