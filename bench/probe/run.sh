#!/usr/bin/env bash
# HealthProbe benchmark: cost of one probe cycle on a 3-node cluster (median, p99), CPU of the probe service at its
# default 1 s interval, and staleness (real event -> verdict change on /status and in Prometheus).
# Starts its own stack (testing builder, fast timing, 2 replicas) and rewrites the "## HealthProbe" section of
# bench/RESULTS.md. Usage: bench/probe/run.sh [cycles, default 300]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export HaStack__BaseImage=$(scripts/prepare.sh trixie forky)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build bench/probe/ProbeBench.csproj -v q -nologo >/dev/null
# One stack at a time on this machine: other people's test runs take the same lock.
flock /tmp/hastack-cluster.lock dotnet bench/probe/bin/Debug/net10.0/ProbeBench.dll "$root/bench/RESULTS.md" "${1:-300}"
