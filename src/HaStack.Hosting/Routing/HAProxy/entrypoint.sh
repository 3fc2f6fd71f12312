#!/bin/sh
# Appends one server line per Patroni node named in HASTACK_NODES (e.g. "pg-1,pg-2") to both backends.
# With HASTACK_TLS on|required the health checks ask Patroni's REST API over HTTPS and verify its certificate (the
# stack's CA, the node's name); PostgreSQL traffic itself passes through untouched (clients and nodes do TLS).
set -eu
: "${HASTACK_NODES:?HASTACK_NODES must list the Patroni nodes}"
cp /etc/haproxy/haproxy.cfg /tmp/haproxy.cfg
for backend in primary replicas; do
  printf '\nbackend %s\n' "$backend" >> /tmp/haproxy.cfg
  if [ "$backend" = primary ]; then check=/primary; else check=/replica; fi
  printf '    option httpchk\n    http-check send meth GET uri %s\n    http-check expect status 200\n' "$check" >> /tmp/haproxy.cfg
  [ "$backend" = replicas ] && printf '    balance roundrobin\n' >> /tmp/haproxy.cfg
  for node in $(echo "$HASTACK_NODES" | tr ',' ' '); do
    if [ "${HASTACK_TLS:-off}" = off ]; then
      printf '    server %s %s:5432 check port 8008\n' "$node" "$node" >> /tmp/haproxy.cfg
    else
      printf '    server %s %s:5432 check port 8008 check-ssl verify required ca-file /etc/hastack/tls/ca.crt verifyhost %s check-sni %s\n' \
        "$node" "$node" "$node" "$node" >> /tmp/haproxy.cfg
    fi
  done
done
exec haproxy -W -db -f /tmp/haproxy.cfg
