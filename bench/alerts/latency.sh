#!/usr/bin/env bash
# Time from a leader crash to the failover alert (issue 12): crash drills under write load on one stack (fast timing,
# synchronous mode on, TLS on, fencing on), each followed by the wait for HaStackFailover of its new timeline at the
# HealthProbe's receiver. Per drill: new leader, alert firing in Prometheus (its activeAt, which Alertmanager passes
# on as startsAt), alert at the receiver (the moment it writes the structured log line the dashboard shows).
# JSON lands in bench/drills/results/alerts-crash-pgN.json.
# Usage: [HASTACK_PG=18|17|15] bench/alerts/latency.sh [rounds=10]
source "$(dirname "$0")/../drills/common.sh"
drillbench alerts-crash --kind crash --rounds "${1:-10}" --timing fast --sync on --fencing on --alerts on
machine_line
