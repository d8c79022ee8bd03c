#!/bin/sh
# azd postdeploy hook: creates the Event Grid subscription that feeds the blob trigger StartJobFromBlob
# (container `references`). It deploys infra/app/eventgrid.bicep, which reads the host's blobs_extension system key
# with listKeys inside Azure Resource Manager, so the key is never printed or stored in the azd environment.
# It runs after the code is deployed because the key exists only once the host has loaded the blob extension and
# Event Grid validates the webhook when the subscription is created. Idempotent: safe on every `azd deploy`.
# Needs the Azure CLI signed in to the same tenant (`az login`); azd exports the environment values used below.
set -eu

for name in AZURE_RESOURCE_GROUP AZURE_FUNCTION_APP_NAME EVENTGRID_SYSTEM_TOPIC_NAME; do
  eval "value=\${$name:-}"
  if [ -z "$value" ]; then
    echo "postdeploy: $name is not set; run 'azd provision' first." >&2
    exit 1
  fi
done

if ! command -v az >/dev/null 2>&1; then
  echo "postdeploy: the Azure CLI (az) is required to create the Event Grid subscription." >&2
  echo "            Install it, 'az login', then run: azd hooks run postdeploy" >&2
  exit 1
fi

if [ -n "${AZURE_SUBSCRIPTION_ID:-}" ]; then
  az account set --subscription "$AZURE_SUBSCRIPTION_ID"
fi

template="$(dirname "$0")/../app/eventgrid.bicep"
attempt=1
max_attempts=6
# The first deployment can race the host start (no blobs_extension key yet, or the webhook not answering the
# Event Grid validation handshake), so retry for a few minutes.
until az deployment group create \
    --name "blob-trigger-subscription" \
    --resource-group "$AZURE_RESOURCE_GROUP" \
    --template-file "$template" \
    --parameters functionAppName="$AZURE_FUNCTION_APP_NAME" systemTopicName="$EVENTGRID_SYSTEM_TOPIC_NAME" \
    --only-show-errors --output none; do
  if [ "$attempt" -ge "$max_attempts" ]; then
    echo "postdeploy: could not create the Event Grid subscription after $attempt attempts." >&2
    exit 1
  fi
  echo "postdeploy: attempt $attempt failed (host still starting?); retrying in 30 s." >&2
  attempt=$((attempt + 1))
  sleep 30
done

echo "postdeploy: uploads to the 'references' container now start jobs (Event Grid -> StartJobFromBlob)."
