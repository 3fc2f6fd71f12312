#!/bin/sh
# Network faults for FailoverDrill, run as root by a one-off container that shares a node's network namespace
# (docker run --rm --network container:<node> --cap-add NET_ADMIN --user root --entrypoint /etc/patroni/netfault.sh
# <node image> ...). The node itself needs no capability. Packets are dropped, not rejected, as in a real partition.
#   isolate     drop everything in and out except loopback
#   dcs PORT    drop only TCP to and from PORT (etcd's client port): clients and replicas still get through
#   heal        remove the filter
set -eu
table=hastack_fault

clear_table() {
  if nft list table inet "$table" >/dev/null 2>&1; then nft delete table inet "$table"; fi
}

case "${1:-}" in
  isolate)
    clear_table
    nft -f - <<RULES
table inet $table {
  chain input  { type filter hook input priority -10; policy drop; iif "lo" accept; }
  chain output { type filter hook output priority -10; policy drop; oif "lo" accept; }
}
RULES
    ;;
  dcs)
    port="${2:-}"
    case "$port" in ''|*[!0-9]*) echo "netfault.sh dcs: PORT must be a number" >&2; exit 2 ;; esac
    clear_table
    nft -f - <<RULES
table inet $table {
  chain input  { type filter hook input priority -10; tcp sport $port drop; }
  chain output { type filter hook output priority -10; tcp dport $port drop; }
}
RULES
    ;;
  heal)
    clear_table
    ;;
  *)
    echo "usage: netfault.sh isolate | dcs PORT | heal" >&2
    exit 2
    ;;
esac
