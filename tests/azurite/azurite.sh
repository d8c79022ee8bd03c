#!/usr/bin/env bash
# Starts Azurite on free loopback ports (never assumes 10000-10002) and prints the connection string.
# Usage: source tests/azurite/azurite.sh; azurite_start DATA_DIR; ...; azurite_stop
# Sets AZURITE_PID and AZURITE_CONNECTION_STRING. Azurite itself is installed from npm next to this file.

AZURITE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
AZURITE_KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

azurite_install() {
  if [ ! -x "$AZURITE_DIR/node_modules/.bin/azurite" ]; then
    echo "Installing Azurite (npm ci in tests/azurite/)..." >&2
    (cd "$AZURITE_DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

azurite_start() {
  local data_dir="$1"
  azurite_install
  mkdir -p "$data_dir"
  local blob queue table
  blob=$(free_port); queue=$(free_port); table=$(free_port)
  while [ "$queue" = "$blob" ]; do queue=$(free_port); done
  while [ "$table" = "$blob" ] || [ "$table" = "$queue" ]; do table=$(free_port); done
  # setsid: its own session, so a Ctrl-C at the terminal does not stop storage under the processes still
  # shutting down on top of it; azurite_stop ends it last.
  setsid "$AZURITE_DIR/node_modules/.bin/azurite" --silent --skipApiVersionCheck --disableTelemetry --loose \
    --location "$data_dir" --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
    --blobPort "$blob" --queuePort "$queue" --tablePort "$table" >"$data_dir/azurite.log" 2>&1 &
  AZURITE_PID=$!
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$blob") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$queue") 2>/dev/null \
       && (exec 3<>"/dev/tcp/127.0.0.1/$table") 2>/dev/null; then
      AZURITE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$AZURITE_KEY;BlobEndpoint=http://127.0.0.1:$blob/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$queue/devstoreaccount1;TableEndpoint=http://127.0.0.1:$table/devstoreaccount1;"
      export AZURITE_PID AZURITE_CONNECTION_STRING
      echo "Azurite (pid $AZURITE_PID) on blob $blob, queue $queue, table $table" >&2
      return 0
    fi
    if ! kill -0 "$AZURITE_PID" 2>/dev/null; then
      echo "Azurite exited early:" >&2; cat "$data_dir/azurite.log" >&2; return 1
    fi
    sleep 0.2
  done
  echo "Azurite did not answer within 20 s" >&2
  kill "$AZURITE_PID" 2>/dev/null
  return 1
}

azurite_stop() {
  if [ -n "${AZURITE_PID:-}" ] && kill -0 "$AZURITE_PID" 2>/dev/null; then
    kill "$AZURITE_PID" 2>/dev/null
    wait "$AZURITE_PID" 2>/dev/null
  fi
  AZURITE_PID=
}
