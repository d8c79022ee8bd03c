# azd postdeploy hook (Windows): same as postdeploy.sh. Creates the Event Grid subscription of the blob trigger
# by deploying infra/app/eventgrid.bicep, which reads the blobs_extension system key inside Azure Resource Manager.
$ErrorActionPreference = 'Stop'

foreach ($name in 'AZURE_RESOURCE_GROUP', 'AZURE_FUNCTION_APP_NAME', 'EVENTGRID_SYSTEM_TOPIC_NAME') {
    if (-not [Environment]::GetEnvironmentVariable($name)) {
        throw "postdeploy: $name is not set; run 'azd provision' first."
    }
}
if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
    throw "postdeploy: the Azure CLI (az) is required. Install it, 'az login', then run: azd hooks run postdeploy"
}
if ($env:AZURE_SUBSCRIPTION_ID) {
    az account set --subscription $env:AZURE_SUBSCRIPTION_ID
    if ($LASTEXITCODE -ne 0) { throw 'postdeploy: az account set failed.' }
}

$template = Join-Path $PSScriptRoot '../app/eventgrid.bicep'
$maxAttempts = 6
for ($attempt = 1; ; $attempt++) {
    az deployment group create `
        --name 'blob-trigger-subscription' `
        --resource-group $env:AZURE_RESOURCE_GROUP `
        --template-file $template `
        --parameters functionAppName=$env:AZURE_FUNCTION_APP_NAME systemTopicName=$env:EVENTGRID_SYSTEM_TOPIC_NAME `
        --only-show-errors --output none
    if ($LASTEXITCODE -eq 0) { break }
    if ($attempt -ge $maxAttempts) { throw "postdeploy: could not create the Event Grid subscription after $attempt attempts." }
    Write-Warning "postdeploy: attempt $attempt failed (host still starting?); retrying in 30 s."
    Start-Sleep -Seconds 30
}
Write-Host "postdeploy: uploads to the 'references' container now start jobs (Event Grid -> StartJobFromBlob)."
