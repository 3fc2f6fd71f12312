#!/usr/bin/env bash
# Packs HaStack.Hosting (and HaStack.Patroni, its dependency) into the local feed folder artifacts/packages, the
# feed samples/nuget.config adds to the machine's package sources.
# Usage: scripts/pack.sh [feed folder]   (default: artifacts/packages)
# The packages keep their version (0.1.0), so their copies in the global packages folder are removed: the next
# restore takes what was just packed, not an older pack of the same version.
set -euo pipefail
cd "$(dirname "$0")/.."
feed="${1:-$PWD/artifacts/packages}"
mkdir -p "$feed"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
for project in Patroni/HaStack.Patroni.csproj src/HaStack.Hosting/HaStack.Hosting.csproj; do
  dotnet pack "$project" -c Release -o "$feed" -v quiet -nologo >&2
done
packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
rm -rf "$packages/hastack.hosting" "$packages/hastack.patroni"
echo "$feed"
