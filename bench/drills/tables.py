#!/usr/bin/env python3
"""Markdown tables for bench/RESULTS.md from DrillBench's JSON (faults.sh, fencing.sh).

Usage: bench/drills/tables.py bench/drills/results/faults-fast-pg17.json [more.json ...]
A drill series gives one row per kind; a chaos soak gives its per-fault table, its per-kind summary and the set checker.
"""
import json
import math
import sys


def pct(values, p):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    return values[max(0, min(len(values) - 1, math.ceil(p * len(values)) - 1))]


def s(v, digits=2):
    return "-" if v is None else f"{v:.{digits}f} s"


def gap(report, path):
    return next((p.get("writeGapSeconds") for p in report.get("paths", []) if p["path"] == path), None)


def kind_row(kind, reports):
    ran = [r for r in reports if r.get("outcome") != "refused"]
    passed = sum(1 for r in reports if r.get("outcome") == "passed")
    lost = sum(len(r.get("check", {}).get("lost", [])) for r in ran)
    unknown = sum(r.get("check", {}).get("unknown", 0) for r in ran)
    split = max([r.get("splitBrain", {}).get("longestSeconds", 0) for r in ran] or [0])
    healthy = [r.get("timing", {}).get("rejoinSeconds") for r in ran]
    changed = sum(1 for r in ran if r.get("fault", {}).get("leaderChanged"))
    went_async = sum(1 for r in ran if r.get("synchronous", {}).get("wentAsynchronous"))
    cells = [kind, f"{passed}/{len(reports)}", f"{changed}/{len(ran)}"]
    for path in ("pooled", "direct"):
        gaps = [gap(r, path) for r in ran]
        cells.append(f"{s(pct(gaps, 0.5))} / {s(pct(gaps, 0.95))}")
    cells += [str(lost), str(unknown), s(split, 1), f"{s(pct(healthy, 0.5), 1)} / {s(pct(healthy, 0.95), 1)}", f"{went_async}/{len(ran)}"]
    return "| " + " | ".join(cells) + " |"


def series(data):
    print(f"PostgreSQL {data['postgres']}, Patroni {data['patroni']}, timing {data['timing']}, synchronous_mode {data['sync']}"
          f"{', fencing ' + data['fencing'] if 'fencing' in data else ''}, {data['rounds']} rounds\n")
    print("| kind | passed | leader changed | write gap pooled (median / p95) | write gap direct (median / p95) | lost | unknown | longest split brain | healthy again (median / p95) | went asynchronous |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for kind, reports in data["reports"].items():
        print(kind_row(kind, reports))
    print()


def path_of(report, path):
    return next((p for p in report.get("paths", []) if p["path"] == path), {})


def clients(data):
    """Per kind: what clients saw on each path (RTO, errors, unknown outcomes) and, for paused switchovers, the pause."""
    print("| kind | drills | pooled RTO (median / p95) | pooled stall = write gap (median / p95) | pooled failed / unknown | "
          "direct RTO (median / p95) | direct failed / unknown | PgBouncer paused (median / p95) |")
    print("|---|---|---|---|---|---|---|---|")
    for kind, reports in data["reports"].items():
        ran = [r for r in reports if r.get("outcome") != "refused"]
        cells = [kind, str(len(ran))]
        for path in ("pooled", "direct"):
            ps = [path_of(r, path) for r in ran]
            rto = [p.get("rtoSeconds") for p in ps]
            cells.append(f"{s(pct(rto, 0.5))} / {s(pct(rto, 0.95))}")
            if path == "pooled":
                gaps = [p.get("writeGapSeconds") for p in ps]
                cells.append(f"{s(pct(gaps, 0.5))} / {s(pct(gaps, 0.95))}")
            cells.append(f"{sum(p.get('failedDuringGap', 0) for p in ps)} / {sum(p.get('unknownDuringGap', 0) for p in ps)}")
        pauses = [r.get("pause", {}).get("resumedAfterSeconds") for r in ran if r.get("pause")]
        cells.append(f"{s(pct(pauses, 0.5))} / {s(pct(pauses, 0.95))}" if pauses else "-")
        print("| " + " | ".join(cells) + " |")
    print()


def soak(data):
    report = data["soak"]
    check = report.get("check", {})
    print(f"PostgreSQL {data['postgres']}, Patroni {data['patroni']}, timing {data['timing']}, synchronous_mode {data['sync']}, "
          f"seed {report['seed']}, {report['durationSeconds']:.0f} s: **{report['outcome'].upper()}**" + (f" ({report['reason']})" if report.get("reason") else "") + "\n")
    print(f"Set checker over every write: {check.get('acknowledged', 0)} acknowledged, **lost {len(check.get('lost', []))}**, "
          f"unknown {check.get('unknown', 0)} (recovered {check.get('unknownPresent', 0)}, absent {check.get('unknownAbsent', 0)}), "
          f"duplicates {len(check.get('duplicates', []))}, failed-but-present {len(check.get('failedButPresent', []))}, "
          f"unexpected {len(check.get('unexpected', []))}; longest split brain {report.get('splitBrain', {}).get('longestSeconds', 0):.1f} s.\n")
    faults = report.get("faults", [])
    by_kind = {}
    for f in faults:
        by_kind.setdefault(f["report"]["kind"], []).append(f)
    print("| kind | faults | passed | leader changed | write gap pooled (median / max) | write gap direct (median / max) | lost | unknown (recovered) | longest split brain |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind, items in sorted(by_kind.items()):
        reports = [f["report"] for f in items]
        cells = [kind, str(len(items)), str(sum(1 for r in reports if r.get("outcome") == "passed")),
                 str(sum(1 for r in reports if r.get("fault", {}).get("leaderChanged")))]
        for path in ("pooled", "direct"):
            gaps = [gap(r, path) for r in reports]
            cells.append(f"{s(pct(gaps, 0.5))} / {s(pct(gaps, 1.0))}")
        cells += [str(sum(f["lost"] for f in items)), f"{sum(f['unknown'] for f in items)} ({sum(f['recovered'] for f in items)})",
                  s(max(f["splitBrainSeconds"] for f in items), 1)]
        print("| " + " | ".join(cells) + " |")
    print()
    print("<details><summary>Per fault</summary>\n")
    print("| # | at | kind | outcome | leader | victims | gap pooled | gap direct | lost | unknown (recovered) | split brain | healthy |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for f in faults:
        r = f["report"]
        leader = r.get("oldLeader", "?") + (" -> " + r["newLeader"] if r.get("newLeader") else "")
        print(f"| {f['index']} | {f['startedSeconds']:.0f} s | {r['kind']} | {r.get('outcome')} | {leader} | {', '.join(r.get('fault', {}).get('victims', []))} | "
              f"{s(gap(r, 'pooled'))} | {s(gap(r, 'direct'))} | {f['lost']} | {f['unknown']} ({f['recovered']}) | {s(f['splitBrainSeconds'], 1)} | "
              f"{s(r.get('timing', {}).get('rejoinSeconds'), 1)} |")
    print("\n</details>\n")


for path in sys.argv[1:]:
    with open(path) as handle:
        data = json.load(handle)
    print(f"<!-- {path} -->")
    if "soak" in data:
        soak(data)
    else:
        series(data)
        clients(data)
