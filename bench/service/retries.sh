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

drill() { # mode kind n
  echo "  $1 $2 #$3: $(sample_drill "$secret" "$2" "$work/$1-$2-$3.json")" >&2
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
python3 - "$work" "$(dirname "$0")" <<'PY'
import os, sys
work = sys.argv[1]
sys.path.insert(0, sys.argv[2])
from service_cells import HEADER, cells, load, med

def path_gap(r, p):
    return next((x.get("writeGapSeconds") for x in r.get("paths", []) if x.get("path") == p), None)

print(f"| drill | sample retry | drills passed | {HEADER} | pooled gap median (s) | direct gap median (s) |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for kind in ("switchover", "crash", "partition"):
    for mode in ("true", "false"):
        rs = load(os.path.join(work, f"{mode}-{kind}-*.json"))
        if rs:
            print(f"| {kind} | {'on' if mode == 'true' else 'off'} | {sum(r.get('outcome') == 'passed' for r in rs)}/{len(rs)} | {cells(rs)} "
                  f"| {med([path_gap(r, 'pooled') for r in rs])} | {med([path_gap(r, 'direct') for r in rs])} |")
PY
