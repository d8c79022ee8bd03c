#!/usr/bin/env bash
# Runs a job end to end on local defaults, with no cloud account:
#   bash src/WanFunctions.Demo/run-local.sh [job.json] [files...]
# Azurite (storage + durable backend) and the DashScope simulator on free loopback ports, the workflow host
# (Durable Task SDK over Azure Storage), then the job (default: the bundled sample-job.json) over HTTP and the same
# job uploaded as a *.job.json manifest (started by the host's upload scanner), with progress, ending with where
# both MP4s landed in Azurite. Each file named is uploaded first as the private blob references/<file name>,
# which the job names as { "blob": "references/<file name>" }. Ctrl-C (or any exit) stops everything it started.
set -euo pipefail
for file in "$@"; do
  [ -f "$file" ] || { echo "No such file: $file" >&2; exit 2; }
done
files=()
for file in "$@"; do files+=("$(cd "$(dirname "$file")" && pwd)/$(basename "$file")"); done
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
source tests/azurite/azurite.sh

work="$root/.local"
mkdir -p "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  azurite_stop
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "Building..."
for project in DashScope.Simulator WanFunctions.LocalHost WanFunctions.Demo; do
  dotnet build "src/$project" -c Release -nologo -v quiet >"$work/build-$project.log" 2>&1 \
    || { cat "$work/build-$project.log"; exit 1; }
done

rm -rf "$work/azurite"
azurite_start "$work/azurite"
sim_port=$(free_port)
host_port=$(free_port)

# Generation takes 60-300 s at the provider; the simulator runs 20x faster here (3-15 s).
(cd src/DashScope.Simulator/bin/Release/net10.0 && exec dotnet DashScope.Simulator.dll \
  --urls "http://127.0.0.1:$sim_port" --Simulator:SpeedFactor=0.05) >"$work/simulator.log" 2>&1 &
pids+=($!)

(cd src/WanFunctions.LocalHost/bin/Release/net10.0 && \
  ASPNETCORE_ENVIRONMENT=Development \
  DashScope__BaseUrl="http://127.0.0.1:$sim_port" \
  Storage__ConnectionString="$AZURITE_CONNECTION_STRING" \
  exec dotnet WanFunctions.LocalHost.dll --urls "http://127.0.0.1:$host_port") >"$work/host.log" 2>&1 &
pids+=($!)

echo "Waiting for the simulator (port $sim_port) and the workflow host (port $host_port)..."
for _ in $(seq 1 150); do
  if curl -fs "http://127.0.0.1:$host_port/healthz" >/dev/null 2>&1 && (exec 3<>"/dev/tcp/127.0.0.1/$sim_port") 2>/dev/null; then
    break
  fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "A process exited early; logs:"; tail -n 30 "$work"/simulator.log "$work"/host.log; exit 1; }
  done
  sleep 0.2
done

(cd src/WanFunctions.Demo/bin/Release/net10.0 && dotnet WanFunctions.Demo.dll \
  "http://127.0.0.1:$host_port/" "$AZURITE_CONNECTION_STRING" "$work/out" ${files[@]+"${files[@]}"})
echo "Logs: $work/host.log, $work/simulator.log"
