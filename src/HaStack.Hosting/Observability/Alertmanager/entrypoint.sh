#!/bin/sh
# Renders alertmanager.yml from the environment, then becomes Alertmanager.
#   HASTACK_WEBHOOK_URL=http://host:port/alerts   the receiver (the HealthProbe's POST /alerts)
#   HASTACK_WEBHOOK_TOKEN=...                     its bearer token (the alert-webhook-secret parameter)
set -eu
: "${HASTACK_WEBHOOK_URL:?HASTACK_WEBHOOK_URL (the webhook receiver's URL) is not set}"
: "${HASTACK_WEBHOOK_TOKEN:?HASTACK_WEBHOOK_TOKEN (the webhook's bearer token) is not set}"
case "$HASTACK_WEBHOOK_URL" in
  *'|'*|*"'"*) echo "HASTACK_WEBHOOK_URL must not contain | or ': $HASTACK_WEBHOOK_URL" >&2; exit 2 ;;
esac
run=/run/alertmanager
umask 077
printf '%s' "$HASTACK_WEBHOOK_TOKEN" > "$run/webhook-token"
sed "s|\${HASTACK_WEBHOOK_URL}|$HASTACK_WEBHOOK_URL|" /etc/alertmanager/alertmanager.yml > "$run/alertmanager.yml"
# One instance: no cluster gossip (it would also delay readiness while the mesh settles).
exec prometheus-alertmanager --config.file="$run/alertmanager.yml" --storage.path="$run/data" \
  --web.listen-address=:9093 --cluster.listen-address= --log.level=info
