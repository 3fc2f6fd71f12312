"""The service path's figures over a set of drill (or watch) reports, as the cells of a markdown row; shared by
bench/service/retries.sh and bench/service/baseline.sh."""
import glob, json, os, statistics

HEADER = "service sent | failed (by status) | unknown | longest gap median / max (s) | p99 during median (ms) | lost | stored despite a 5xx"


def load(pattern):
    """Every report whose file matches the glob pattern (a broken one is skipped)."""
    out = []
    for path in sorted(glob.glob(pattern)):
        try:
            with open(path) as f:
                out.append(json.load(f))
        except (json.JSONDecodeError, OSError):
            pass
    return out


def med(xs):
    xs = [x for x in xs if x is not None]
    return f"{statistics.median(xs):.2f}" if xs else "-"


def mx(xs):
    xs = [x for x in xs if x is not None]
    return f"{max(xs):.2f}" if xs else "-"


def cells(reports):
    """Sums over the reports' service sections; the gap and p99 as medians over them (HEADER names the cells)."""
    sv = [r.get("service") or {} for r in reports]
    failed = {}
    for s in sv:
        for k, v in (s.get("failed") or {}).items():
            failed[k] = failed.get(k, 0) + v
    gaps = [s.get("longestGapSeconds") for s in sv]
    return (f"{sum(s.get('sent', 0) for s in sv)} | {sum(failed.values())} {json.dumps(failed) if failed else ''} "
            f"| {sum(s.get('unknown', 0) for s in sv)} | {med(gaps)} / {mx(gaps)} "
            f"| {med([(s.get('during') or {}).get('p99Milliseconds') for s in sv])} | {sum(len(s.get('lost', [])) for s in sv)} "
            f"| {sum(len(s.get('storedDespiteError', [])) for s in sv)}")
