#!/bin/sh
# Writes file_sd target lists from the environment, then becomes Prometheus.
#   HASTACK_NODES=pg-1,pg-2       Patroni REST APIs (port 8008), labelled member=<node>
#   HASTACK_ETCD=etcd-1,etcd-2    etcd metrics ports (2381)
#   HASTACK_TARGETS=job=host:port,...  anything else (router, pgbouncer exporter, .NET services)
#   HASTACK_ALERTMANAGER=host:port     where alerts go (unset: nowhere)
set -eu
dir=/etc/prometheus/targets
targets() { # job, comma-separated host:port list, label name for the host
  first=1
  printf '[' > "$dir/$1.json.tmp"
  for t in $(echo "$2" | tr ',' ' '); do
    [ $first = 1 ] || printf ',' >> "$dir/$1.json.tmp"
    first=0
    printf '{"targets":["%s"],"labels":{"%s":"%s"}}' "$t" "$3" "${t%%:*}" >> "$dir/$1.json.tmp"
  done
  printf ']\n' >> "$dir/$1.json.tmp"
  mv "$dir/$1.json.tmp" "$dir/$1.json"
}
for job in router pgbouncer healthprobe failoverdrill; do targets "$job" "" instance_host; done
targets patroni "$(echo "${HASTACK_NODES:-}" | sed 's/\([^,]*\)/\1:8008/g')" member
targets etcd "$(echo "${HASTACK_ETCD:-}" | sed 's/\([^,]*\)/\1:2381/g')" member
targets alertmanager "${HASTACK_ALERTMANAGER:-}" instance_host
for entry in $(echo "${HASTACK_TARGETS:-}" | tr ',' ' '); do
  targets "${entry%%=*}" "${entry#*=}" instance_host
done
# HASTACK_TLS on|required: Patroni's REST API (and /metrics) is HTTPS; verify it against the stack's CA.
config=/etc/prometheus/prometheus.yml
if [ "${HASTACK_TLS:-off}" != off ]; then
  config=/tmp/prometheus.yml
  sed 's#^  - job_name: patroni$#&\n    scheme: https\n    tls_config:\n      ca_file: /etc/hastack/tls/ca.crt#' /etc/prometheus/prometheus.yml > "$config"
fi
exec prometheus --config.file="$config" --storage.tsdb.path=/prometheus \
  --storage.tsdb.retention.time=2d --web.listen-address=:9090
