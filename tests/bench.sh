#!/usr/bin/env bash
# The `bench` command: speed and memory figures (archive, validation, end-to-end on the real engine), each with a target.
# Starts Azurite on free ports, builds in Release, runs tests/WanFunctions.Bench, stops Azurite whatever happens.
# Options pass through, e.g.: tests/bench.sh --video-mib 64 --jobs 5   (tests/bench.sh --help for the list)
# Exit code 0 even when a target is missed, unless --strict.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source tests/azurite/azurite.sh

work="$(mktemp -d)"
trap 'azurite_stop; rm -rf "$work"' EXIT INT TERM

for arg in "$@"; do
  if [ "$arg" = "-h" ] || [ "$arg" = "--help" ]; then
    dotnet run -c Release --project tests/WanFunctions.Bench -- --help
    exit 0
  fi
done

# Others may build the same solution at once: retry a build that lost a race for a file lock.
for attempt in 1 2 3; do
  if dotnet build tests/WanFunctions.Bench/WanFunctions.Bench.csproj -c Release -nologo -v quiet; then
    break
  fi
  if [ "$attempt" = 3 ]; then exit 1; fi
  echo "Build failed (attempt $attempt); retrying in 5 s..." >&2
  sleep 5
done

azurite_start "$work/azurite"
export WANFUNCTIONS_BENCH_STORAGE="$AZURITE_CONNECTION_STRING"
dotnet tests/WanFunctions.Bench/bin/Release/net10.0/WanFunctions.Bench.dll "$@"
