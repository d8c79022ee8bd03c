metadata description = 'Flex Consumption (FC1) hosting plan for Linux function apps.'

@description('Name of the plan.')
param name string

@description('Azure region.')
param location string

@description('Tags for the resource.')
param tags object = {}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    // Linux.
    reserved: true
  }
}

output id string = plan.id
output name string = plan.name
