#!/usr/bin/env bash
# Backups and point-in-time recovery with pgBackRest (issue 11), on the pgbench scale-10 database:
#   1. full and incremental backup times (pgbackrest backup on the leader, as the AppHost runs it: CHECKPOINT first);
#      each incremental follows 30 s of pgbench writes;
#   2. WAL archive lag under pgbench load (8 clients, TPC-B, 60 s), sampled every 0.5 s on the leader: completed WAL
#      segments (16 MiB) not yet archived (the segment being written does not count), and the age of the last
#      archived segment;
#   3. the time to restore a new stack to a point in time: a second AppHost with --HaStack:RestoreFrom, from its start
#      to "HaStack is ready", and the restore itself (pgBackRest restore + recovery to the target) from its node's log.
# Usage: bench/backup/backup.sh [rounds, default 3]
source "$(dirname "$0")/../lib.sh"
rounds=${1:-3}
stanza=hastack

start_stack --HaStack:Timing=fast --HaStack:BackupSchedule=off
echo "ready after $(wait_ready) s" >&2
leader_name=$(leader)
leader_c=$(container "$leader_name")
pw=$(docker exec "$leader_c" printenv HASTACK_APP_PASSWORD)
bench() { docker exec -e PGPASSWORD="$pw" "$leader_c" pgbench -h 127.0.0.1 -U app "$@"; }
bench -i -s 10 -q app >/dev/null 2>&1
echo "platform: $(platform)"
echo "machine: $(machine)"
echo "database: $(docker exec "$leader_c" psql -Atqc "SELECT pg_size_pretty(pg_database_size('app'))")"

backup() { # type -> "seconds size"
  local t0 t1 out label
  t0=$(date +%s%N)
  docker exec "$leader_c" psql -Atqc CHECKPOINT >/dev/null
  out=$(docker exec "$leader_c" pgbackrest --stanza=$stanza --type="$1" backup 2>&1) || { echo "backup failed: $out" >&2; return 1; }
  t1=$(date +%s%N)
  label=$(echo "$out" | sed -n 's/.*new backup label = \(\S*\).*/\1/p')
  size=$(docker exec "$leader_c" pgbackrest --stanza=$stanza --set="$label" --output=json --log-level-console=off info \
    | python3 -c 'import sys,json; b=json.load(sys.stdin)[0]["backup"][-1]; print(b["info"]["repository"]["delta"])')
  echo "$(echo "scale=2; ($t1 - $t0) / 1000000000" | bc) $size"
}

full=() incr=()
for r in $(seq 1 "$rounds"); do
  full+=("$(backup full)")
  bench -T 30 -c 4 -j 2 -n app >/dev/null 2>&1
  incr+=("$(backup incr)")
done

# Archive lag under load.
lag=$(mktemp)
docker exec "$leader_c" timeout 60 sh -c 'while :; do psql -Atq -F " " -c "SELECT pg_walfile_name(pg_current_wal_lsn()), last_archived_wal, extract(epoch FROM now() - last_archived_time) FROM pg_stat_archiver"; sleep 0.5; done' >"$lag" 2>/dev/null &
sampler=$!
load=$(bench -T 60 -c 8 -j 2 -n app 2>&1)
wait "$sampler" 2>/dev/null || true
tps=$(echo "$load" | sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p')
failed_archives=$(docker exec "$leader_c" psql -Atqc "SELECT failed_count FROM pg_stat_archiver")

# Restore: note the time, switch and wait until that segment is archived, then start the restore stack.
target=$(docker exec "$leader_c" psql -Atqc "SELECT to_char(clock_timestamp() AT TIME ZONE 'utc', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')")
segment=$(docker exec "$leader_c" psql -Atqc "SELECT pg_walfile_name(pg_switch_wal())")
until [[ "$(docker exec "$leader_c" psql -Atqc "SELECT last_archived_wal >= '$segment' FROM pg_stat_archiver")" == t ]]; do sleep 0.5; done
rlog=$(mktemp /tmp/hastack-bench-restore.XXXX.log)
r0=$(date +%s%N)
(cd "$BENCH_ROOT" && ASPNETCORE_ENVIRONMENT=Development DOTNET_ENVIRONMENT=Development ASPIRE_ALLOW_UNSECURED_TRANSPORT=true \
   ASPNETCORE_URLS=http://localhost:15181 ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL=http://localhost:19181 ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://localhost:20181 \
   exec dotnet run --project AppHost --no-launch-profile -- --HaStack:BaseImage="$BASE_IMAGE" --HaStack:PostgresVersion="$HASTACK_PG" \
   --HaStack:Grafana=false --HaStack:Persistent=false --HaStack:Timing=fast --HaStack:Name=restorebench \
   --HaStack:RestoreFrom=$stanza --HaStack:RestoreTime="$target") >"$rlog" 2>&1 &
restore_pid=$!
deadline=$(( $(date +%s) + 600 ))
until grep -q "HaStack is ready" "$rlog"; do
  kill -0 "$restore_pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ] || { echo "the restore stack did not become ready; log: $rlog" >&2; tail -20 "$rlog" >&2; break; }
  sleep 0.2
done
r1=$(date +%s%N)
restore_c=""
for c in $(docker ps --format '{{.Names}}' | grep -E '^restorebench-[0-9a-f]{8}-pg-'); do
  if [ "$(docker logs "$c" 2>&1 | grep -c "restore command begin" || true)" -gt 0 ]; then restore_c=$c; break; fi
done
echo "full: ${full[*]}; incr: ${incr[*]}; tps $tps; ready $(echo "scale=1; ($r1 - $r0) / 1000000000" | bc) s; restored by $restore_c" >&2
phases=$(docker logs "$restore_c" 2>&1 | python3 -c '
import sys, re, datetime
t = {}
for line in sys.stdin:
    m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[.,]\d+)", line)
    if not m: continue
    ts = datetime.datetime.strptime(m.group(1).replace(",", ".")[:23], "%Y-%m-%d %H:%M:%S.%f")
    for key, pat in (("begin", "restore command begin"), ("end", "restore command end"), ("promoted", "archive recovery complete")):
        # the first match of each: the restore bootstrap, not a later archive-get
        if pat in line and key not in t: t[key] = ts
print("%.1f %.1f" % ((t["end"] - t["begin"]).total_seconds(), (t["promoted"] - t["begin"]).total_seconds()))' || echo "? ?")
rows=$(docker exec "$restore_c" psql -d app -Atqc "SELECT count(*) FROM pgbench_accounts" 2>/dev/null || echo "?")
pkill -TERM -P "$restore_pid" 2>/dev/null || true; kill -TERM "$restore_pid" 2>/dev/null || true; wait "$restore_pid" 2>/dev/null || true

python3 - "$lag" "$tps" "$failed_archives" "$(echo "scale=1; ($r1 - $r0) / 1000000000" | bc)" "$phases" "$rows" "${full[@]}" -- "${incr[@]}" <<'PY'
import sys, statistics
lag_path, tps, failed, ready, phases, rows = sys.argv[1:7]
rest = sys.argv[7:]; cut = rest.index("--")
full = [tuple(map(float, x.split())) for x in rest[:cut]]
incr = [tuple(map(float, x.split())) for x in rest[cut + 1:]]
def stats(v): v = sorted(v); return f"median {statistics.median(v):.2f}, max {v[-1]:.2f}"
print(f"full backup: {stats([s for s, _ in full])} s; stored {statistics.median([b for _, b in full]) / 1048576:.1f} MiB (median), n={len(full)}")
print(f"incremental backup after 30 s of pgbench: {stats([s for s, _ in incr])} s; stored {statistics.median([b for _, b in incr]) / 1048576:.1f} MiB (median), n={len(incr)}")
seg = lambda name: int(name[8:16], 16) * 256 + int(name[16:24], 16)
rows_ = [l.split() for l in open(lag_path) if len(l.split()) == 3]
lag = sorted(max(0, seg(cur) - seg(done) - 1) for cur, done, _ in rows_); age = sorted(float(a) for _, _, a in rows_)
p95 = lambda v: v[min(len(v) - 1, int(0.95 * len(v)))]
print(f"archive lag under pgbench (8 clients, {tps} tps, {len(lag)} samples): completed segments not yet archived median {statistics.median(lag)}, p95 {p95(lag)}, max {lag[-1]} (16 MiB each); "
      f"last archived segment age median {statistics.median(age):.1f} s, p95 {p95(age):.1f} s; failed archive attempts {failed}")
restore, promoted = phases.split()
print(f"restore to a point in time: new stack ready {ready} s after its AppHost started; pgBackRest restore {restore} s, restore + recovery to the target + promotion {promoted} s; pgbench_accounts rows restored: {rows}")
PY
