#!/bin/sh
# The static configuration (haproxy.cfg) and the backends the AppHost rendered from the model, one server per Patroni
# node with its health check (HAProxyConfiguration.cs), copied into /etc/hastack/haproxy before the start.
set -eu
[ -f /etc/hastack/haproxy/backends.cfg ] || { echo "HaStack: /etc/hastack/haproxy/backends.cfg is missing: the AppHost renders it" >&2; exit 78; }
exec haproxy -W -db -f /etc/haproxy/haproxy.cfg -f /etc/hastack/haproxy/backends.cfg
