#!/usr/bin/env bash
# Prepares this machine for HaStack: a running Docker engine with the buildx plugin and the Debian base images.
# Usage: scripts/prepare.sh [release ...]   (Debian releases whose base image is needed; default: trixie forky)
#   trixie   every component that is not a Patroni node, and PostgreSQL 17 / Patroni 4.0 nodes (HaStack:PostgresVersion=17)
#   forky    PostgreSQL 18 / Patroni 4.1 nodes (the default platform; Debian testing, so it moves every day)
#   bookworm PostgreSQL 15 / Patroni 3.0 nodes (HaStack:PostgresVersion=15)
# With HASTACK_PREPARE_BROWSER=1 it also installs Chromium for the browser tests.
# Idempotent: every step is skipped when its result is already there. Works unchanged where Docker Desktop runs.
# Prints, as its last line, the base image pattern to build from ({release} stands for the Debian release); the
# AppHost reads it as HaStack:BaseImage.
set -euo pipefail

log() { echo "[prepare] $*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
PATTERN="${HASTACK_BASE_IMAGE:-debian:{release}-slim}"
LOCAL_PATTERN="hastack/debian-base:{release}"
MIRROR="${HASTACK_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
releases=("$@")
[ ${#releases[@]} -gt 0 ] || releases=(trixie forky)
for r in "${releases[@]}"; do
  case "$r" in trixie|forky|bookworm) ;; *) log "unknown Debian release '$r'; allowed: trixie, forky, bookworm"; exit 2 ;; esac
done

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq >/dev/null 2>&1 || true; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# 1. A Docker engine.
if ! docker info >/dev/null 2>&1; then
  if ! command -v dockerd >/dev/null 2>&1; then
    log "installing Debian's docker.io (engine only; policy-rc.d keeps it from auto-starting)"
    apt_install docker.io
  fi
  log "starting dockerd"
  as_root sh -c 'nohup dockerd >/var/log/hastack-dockerd.log 2>&1 &'
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { log "dockerd did not come up; see /var/log/hastack-dockerd.log"; exit 1; }
fi

# 2. The buildx plugin: Aspire's orchestrator builds Dockerfile resources with 'docker build --progress plain'.
if ! docker buildx version >/dev/null 2>&1; then
  log "installing the docker-buildx CLI plugin (Debian trixie's binary, nothing else from trixie)"
  tmp=$(mktemp -d)
  mkdir -p "$tmp/lists/partial" "$tmp/archives/partial"
  echo "deb $MIRROR trixie main" > "$tmp/sources.list"
  opts=(-o "Dir::Etc::sourcelist=$tmp/sources.list" -o "Dir::Etc::sourceparts=-" -o "Dir::State::Lists=$tmp/lists"
        -o "Dir::Cache::archives=$tmp/archives" -o "APT::Get::List-Cleanup=0")
  apt-get "${opts[@]}" update -qq >/dev/null 2>&1
  (cd "$tmp" && apt-get "${opts[@]}" download docker-buildx >/dev/null 2>&1)
  dpkg -x "$tmp"/docker-buildx_*.deb "$tmp/x"
  mkdir -p "$HOME/.docker/cli-plugins"
  install -m 0755 "$tmp/x/usr/libexec/docker/cli-plugins/docker-buildx" "$HOME/.docker/cli-plugins/docker-buildx"
  rm -rf "$tmp"
  docker buildx version >/dev/null
fi

# 3. Chromium, for the tests that check the Aspire dashboard in a real browser (only when asked: scripts/test.sh).
if [ "${HASTACK_PREPARE_BROWSER:-0}" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  log "installing Debian's chromium (the dashboard tests drive it with Playwright)"
  apt_install chromium
fi

# 4. The Debian base images: pulled, or made with debootstrap where no registry is reachable. One pattern serves
#    every release, so either all come from the registry or all are made here.
have_or_pull() { docker image inspect "$1" >/dev/null 2>&1 || timeout 60 docker pull -q "$1" >/dev/null 2>&1; }
pulled=1
for r in "${releases[@]}"; do
  have_or_pull "${PATTERN//\{release\}/$r}" || { pulled=0; break; }
done
if [ "$pulled" = 1 ]; then echo "$PATTERN"; exit 0; fi

for r in "${releases[@]}"; do
  image="${LOCAL_PATTERN//\{release\}/$r}"
  docker image inspect "$image" >/dev/null 2>&1 && continue
  log "no registry reachable: building $image with debootstrap (~30 s)"
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
  root=$(mktemp -d)
  # debootstrap has no script of its own for a testing release before it is released; testing is built like sid.
  script=()
  [ -e "/usr/share/debootstrap/scripts/$r" ] || script=(/usr/share/debootstrap/scripts/sid)
  as_root debootstrap --variant=minbase "$r" "$root" "$MIRROR" "${script[@]}" >/dev/null
  as_root rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  as_root tar -C "$root" -c . | docker import - "$image" >/dev/null
  as_root rm -rf "$root"
done
echo "$LOCAL_PATTERN"
