#!/usr/bin/env bash
# Runs every test: unit, simulator, integration (real Azurite + simulator + Durable Task engine) and infra.
# Installs and starts what the tests need, and stops it again, whatever happens.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source tests/azurite/azurite.sh

work="$(mktemp -d)"
trap 'azurite_stop; rm -rf "$work"' EXIT INT TERM

if [ -f infra/build.sh ]; then
  bash infra/build.sh
fi

azurite_start "$work/azurite"
export WANFUNCTIONS_TEST_STORAGE="$AZURITE_CONNECTION_STRING"

dotnet build WanFunctions.sln -c Release -nologo -v quiet
set +e
dotnet test WanFunctions.sln -c Release --no-build -nologo --logger "console;verbosity=normal" "$@" 2>&1 | tee "$work/test.log"
status=${PIPESTATUS[0]}
set -e

# One closing line for the whole run, summed over the test projects.
awk '/^ +Passed: [0-9]+$/ {p += $2} /^ +Failed: [0-9]+$/ {f += $2} /^ +Skipped: [0-9]+$/ {s += $2}
     END {printf "Total: %d passed, %d failed, %d skipped\n", p, f, s}' "$work/test.log"
exit "$status"
