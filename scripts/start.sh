#!/usr/bin/env bash
# Starts the whole HaStack stack with its Aspire dashboard. Prepares the machine first (Docker engine, buildx,
# base image). Extra arguments go to the AppHost, e.g.: scripts/start.sh --HaStack:Replicas=2 --HaStack:Timing=fast
set -euo pipefail
cd "$(dirname "$0")/.."

# Every component that is not a node builds on Debian trixie; the nodes on their platform's release:
# 18 (the default) on forky, 17 on trixie, 15 on bookworm.
releases=(trixie)
if [[ " $* " =~ PostgresVersion[=\ ]15 ]]; then releases+=(bookworm)
elif [[ ! " $* " =~ PostgresVersion[=\ ]17 ]]; then releases+=(forky); fi
base_image=$(scripts/prepare.sh "${releases[@]}")
args=(--HaStack:BaseImage="$base_image")

# Grafana is the one image that is pulled, not built: where no registry answers, run without it.
grafana_image=$(sed -n 's/.*Image = "\(grafana[^"]*\)".*/\1/p' src/HaStack.Hosting/Observability/GrafanaResource.cs)
grafana_tag=$(sed -n '/class GrafanaContainerImageTags/,/}/s/.*Tag = "\([^"]*\)".*/\1/p' src/HaStack.Hosting/Observability/GrafanaResource.cs)
if [[ " $* " != *"HaStack:Grafana"* ]] && ! docker image inspect "$grafana_image:$grafana_tag" >/dev/null 2>&1 \
   && ! timeout 60 docker pull -q "$grafana_image:$grafana_tag" >/dev/null 2>&1; then
  echo "[start] $grafana_image:$grafana_tag cannot be pulled here: starting without Grafana (--HaStack:Grafana=false)" >&2
  args+=(--HaStack:Grafana=false)
fi

echo "[start] the dashboard URL (with its login token) appears below as 'Login to the dashboard at …'" >&2
exec dotnet run --project AppHost --launch-profile http -- "${args[@]}" "$@"
