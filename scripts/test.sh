#!/usr/bin/env bash
# Runs every HaStack test against real containers. Prepares the machine first (Docker engine, buildx, base image).
# Usage: scripts/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Model]
# Ends with one line: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

# Every platform is tested: forky (PostgreSQL 18 nodes), trixie (PostgreSQL 17 nodes, and every shared component) and
# bookworm (PostgreSQL 15 nodes).
base_image=$(HASTACK_PREPARE_BROWSER=1 scripts/prepare.sh trixie forky bookworm) || { echo "0 passed, 1 failed (machine preparation failed)"; exit 1; }
export HaStack__BaseImage="$base_image"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

results=$(mktemp -d)
# Every cluster's AppHost and container logs go to a file here (one per test class); the console shows test results.
export HASTACK_TEST_LOGS="$PWD/test-logs"
rm -rf "$HASTACK_TEST_LOGS" && mkdir -p "$HASTACK_TEST_LOGS"
# -m:1: one test assembly at a time; each starts whole clusters and the machine has 2 cores.
dotnet test HaStack.sln -m:1 --logger "trx" --results-directory "$results" --logger "console;verbosity=normal" "$@"
status=$?

# Leftovers would mean a test did not clean up; say so rather than hide it.
leftovers=$(docker ps -aq --filter "name=hastack-" | wc -l)
[ "$leftovers" = 0 ] || echo "warning: $leftovers HaStack containers still exist after the tests" >&2

python3 - "$results" "$status" <<'PY'
import sys, glob, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
failures = []
files = glob.glob(sys.argv[1] + "/*.trx")
for f in files:
    root = ET.parse(f).getroot()
    for r in root.iter("{%s}UnitTestResult" % ns["t"]):
        if r.get("outcome") == "Failed":
            message = r.find("t:Output/t:ErrorInfo/t:Message", ns)
            text = (message.text or "").strip() if message is not None else ""
            failures.append((r.get("testName"), r.get("duration"), text[:1500]))
    c = root.find("t:ResultSummary/t:Counters", ns)
    passed += int(c.get("passed", 0)); failed += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0))
    skipped += int(c.get("notExecuted", 0))
if not files or (sys.argv[2] != "0" and failed == 0):
    failed += 1  # the build or a test host failed before reporting
if failures:
    print(f"\n=== {len(failures)} failed test(s); cluster logs: test-logs/ ===")
    for name, duration, text in failures:
        print(f"--- FAILED {name} ({duration})\n{text}\n")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
rm -rf "$results"
exit $status
