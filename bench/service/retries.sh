#!/usr/bin/env bash
# What a retry policy is worth (issue 21): the sample API (samples/, HaStack as a package) measured by the drills'
# service path, with its retry on transient errors and without (Orders:Retry), under the same drills, one mode after
# the other in one session. Each drill's report gives the service path (sent, failed by status, unknown, longest gap
# between acknowledged writes, p99 latency during the fault, lost) beside the pooled and direct paths.
#   The sample is copied out of the tree, packed into a local feed and built, as bench/package/startup.sh does; its
#   AppHost runs with Orders__Retry in its environment (its API inherits it) and a known drill control secret.
# Usage: bench/service/retries.sh [switchovers, default 10] [crashes, default 10] [partitions, default 5]
source "$(dirname "$0")/../lib.sh"
switchovers=${1:-10}; crashes=${2:-10}; partitions=${3:-5}
work=$(mktemp -d /tmp/hastack-bench-service.XXXX)
secret=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
"$BENCH_ROOT/scripts/pack.sh" "$work/artifacts/packages" >/dev/null
sample_build "$work"
trap 'sample_stop; rm -rf "$work/samples"' EXIT

start_sample() { # retry: true|false
  sample_start "$work/sample-$1.log" Orders__Retry="$1" "Parameters__db-drills-control-secret=$secret"
  sample_wait http://localhost:5280/health "$work/sample-$1.log"
  sample_wait http://localhost:5290/health "$work/sample-$1.log"
}

drill() { # mode kind n: runs the drill, retrying while it is refused (412: the cluster is still healing)
  local out="$work/$1-$2-$3.json" code
  for _ in $(seq 1 60); do
    code=$(curl -s -o "$out" -w '%{http_code}' -X POST -H "Authorization: Bearer $secret" "http://localhost:5290/drills/$2?wait=true")
    [ "$code" = 412 ] || break
    sleep 3
  done
  echo "  $1 $2 #$3: HTTP $code, $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r.get("outcome"), r.get("reason") or "")' "$out")" >&2
}

for mode in true false; do
  start_sample "$mode"
  for i in $(seq 1 "$switchovers"); do drill "$mode" switchover "$i"; done
  for i in $(seq 1 "$crashes"); do drill "$mode" crash "$i"; done
  for i in $(seq 1 "$partitions"); do drill "$mode" partition "$i"; done
  sample_stop
done

echo "machine: $(machine 2>/dev/null || uname -sr)"
echo "platform: PostgreSQL 17 under Patroni 4.0 (Debian trixie), the sample's cluster (1 replica, fast timing, synchronous mode on, fencing on, TLS on)"
python3 - "$work" <<'PY'
import glob, json, os, statistics, sys
work = sys.argv[1]
rows = {}
for path in sorted(glob.glob(os.path.join(work, "*.json"))):
    mode, kind, _ = os.path.basename(path)[:-5].split("-", 2) if os.path.basename(path).count("-") >= 2 else (None, None, None)
    if kind is None:
        continue
    with open(path) as f:
        try:
            r = json.load(f)
        except json.JSONDecodeError:
            continue
    rows.setdefault((kind, mode), []).append(r)

def med(xs):
    xs = [x for x in xs if x is not None]
    return f"{statistics.median(xs):.2f}" if xs else "-"

def mx(xs):
    xs = [x for x in xs if x is not None]
    return f"{max(xs):.2f}" if xs else "-"

print("| drill | sample retry | drills passed | service sent | failed (by status) | unknown | longest gap median / max (s) | p99 during median (ms) | lost | stored despite a 5xx | pooled gap median (s) | direct gap median (s) |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for kind in ("switchover", "crash", "partition"):
    for mode in ("true", "false"):
        rs = rows.get((kind, mode), [])
        if not rs:
            continue
        sv = [r.get("service") or {} for r in rs]
        failed = {}
        for s in sv:
            for k, v in (s.get("failed") or {}).items():
                failed[k] = failed.get(k, 0) + v
        def path_gap(r, p):
            return next((x.get("writeGapSeconds") for x in r.get("paths", []) if x.get("path") == p), None)
        print(f"| {kind} | {'on' if mode == 'true' else 'off'} | {sum(r.get('outcome') == 'passed' for r in rs)}/{len(rs)} "
              f"| {sum(s.get('sent', 0) for s in sv)} | {sum(failed.values())} {json.dumps(failed) if failed else ''} "
              f"| {sum(s.get('unknown', 0) for s in sv)} | {med([s.get('longestGapSeconds') for s in sv])} / {mx([s.get('longestGapSeconds') for s in sv])} "
              f"| {med([(s.get('during') or {}).get('p99Milliseconds') for s in sv])} | {sum(len(s.get('lost', [])) for s in sv)} | {sum(len(s.get('storedDespiteError', [])) for s in sv)} "
              f"| {med([path_gap(r, 'pooled') for r in rs])} | {med([path_gap(r, 'direct') for r in rs])} |")
PY
