using System.Text.Json;

namespace WanFunctions.Infra.Tests;

/// <summary>Compiles the Bicep with the CLI from the NuGet cache and checks the resulting ARM JSON.</summary>
public class CompiledTemplateTests
{
    // Built-in role definition ids.
    public static TheoryData<string, string> Roles => new()
    {
        { "Storage Blob Data Owner", "b7e6dc6d-f1e8-4753-8033-0f276bb0955b" },
        { "Storage Queue Data Contributor", "974c5e8b-45b9-4653-ba55-5f855dd0fb88" },
        { "Storage Table Data Contributor", "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3" },
        { "Storage Blob Delegator", "db58b8e5-c6ad-4a2a-8342-4190687cbf4a" },
        { "Monitoring Metrics Publisher", "3913510d-42f4-4e42-8a64-420c390055eb" },
        { "Key Vault Secrets User", "4633458b-17de-408a-b874-0445c86b69e6" },
    };

    private static IReadOnlyList<ArmTemplate.Resource> MainResources()
    {
        BicepCli.SkipIfMissing();
        return ArmTemplate.AllResources(BicepCli.Build("main.bicep"));
    }

    [SkippableFact]
    public void Main_template_targets_a_subscription_and_creates_the_resource_group()
    {
        var resources = MainResources();
        var schema = BicepCli.Build("main.bicep").RootElement.GetProperty("$schema").GetString();

        Assert.Contains("subscriptionDeploymentTemplate", schema);
        Assert.Single(resources.OfType("Microsoft.Resources/resourceGroups"));
    }

    [SkippableTheory]
    [InlineData("Microsoft.Web/serverfarms")]
    [InlineData("Microsoft.Web/sites")]
    [InlineData("Microsoft.Web/sites/config")]
    [InlineData("Microsoft.Storage/storageAccounts")]
    [InlineData("Microsoft.Storage/storageAccounts/blobServices/containers")]
    [InlineData("Microsoft.Storage/storageAccounts/managementPolicies")]
    [InlineData("Microsoft.ManagedIdentity/userAssignedIdentities")]
    [InlineData("Microsoft.KeyVault/vaults")]
    [InlineData("Microsoft.KeyVault/vaults/secrets")]
    [InlineData("Microsoft.OperationalInsights/workspaces")]
    [InlineData("Microsoft.Insights/components")]
    [InlineData("Microsoft.EventGrid/systemTopics")]
    [InlineData("Microsoft.Authorization/roleAssignments")]
    public void Main_template_creates(string type)
    {
        Assert.NotEmpty(MainResources().OfType(type));
    }

    [SkippableFact]
    public void Plan_is_Flex_Consumption()
    {
        var plan = Assert.Single(MainResources().OfType("Microsoft.Web/serverfarms"));
        var sku = plan.Element.GetProperty("sku");

        Assert.Equal("FC1", sku.GetProperty("name").GetString());
        Assert.Equal("FlexConsumption", sku.GetProperty("tier").GetString());
        Assert.True(plan.Properties.GetProperty("reserved").GetBoolean());
    }

    [SkippableFact]
    public void Function_app_runs_dotnet_isolated_10_on_Flex_with_an_always_ready_durable_instance()
    {
        var site = Assert.Single(MainResources().OfType("Microsoft.Web/sites"));
        var config = site.Properties.GetProperty("functionAppConfig");

        Assert.Equal("functionapp,linux", site.Element.GetProperty("kind").GetString());
        Assert.Equal("dotnet-isolated", config.GetProperty("runtime").GetProperty("name").GetString());
        Assert.Equal("10.0", config.GetProperty("runtime").GetProperty("version").GetString());
        Assert.True(site.Properties.GetProperty("httpsOnly").GetBoolean());

        var storage = config.GetProperty("deployment").GetProperty("storage");
        Assert.Equal("blobContainer", storage.GetProperty("type").GetString());
        Assert.Equal("UserAssignedIdentity", storage.GetProperty("authentication").GetProperty("type").GetString());

        var scale = config.GetProperty("scaleAndConcurrency");
        Assert.Contains("instanceMemoryMB", scale.GetProperty("instanceMemoryMB").GetString());
        Assert.Contains("maximumInstanceCount", scale.GetProperty("maximumInstanceCount").GetString());
        // alwaysReady is an expression (0 instances turns it off); it names the Durable Functions group.
        Assert.Contains("'name', 'durable'", scale.GetProperty("alwaysReady").GetString());
        Assert.Equal("UserAssigned", site.Element.GetProperty("identity").GetProperty("type").GetString());
        Assert.Contains("identityId", site.Properties.GetProperty("keyVaultReferenceIdentity").GetString());
    }

    [SkippableFact]
    public void Compiled_app_settings_contain_every_setting_the_code_reads()
    {
        var config = Assert.Single(
            MainResources().OfType("Microsoft.Web/sites/config"),
            r => r.Element.GetProperty("name").GetString()!.Contains("'appsettings'", StringComparison.Ordinal));
        var names = config.Properties.EnumerateObject().Select(p => p.Name).ToHashSet();

        Assert.All(AppSettingsTests.AllNames(), name => Assert.Contains(name, names));
        Assert.StartsWith("[format('@Microsoft.KeyVault(SecretUri={0})'", config.Properties.GetProperty(AppSettingNames.DashScopeApiKey).GetString());
    }

    [SkippableFact]
    public void Storage_account_allows_Entra_ID_only()
    {
        var account = Assert.Single(MainResources().OfType("Microsoft.Storage/storageAccounts"));
        var p = account.Properties;

        Assert.False(p.GetProperty("allowSharedKeyAccess").GetBoolean());
        Assert.False(p.GetProperty("allowBlobPublicAccess").GetBoolean());
        Assert.True(p.GetProperty("supportsHttpsTrafficOnly").GetBoolean());
        Assert.Equal("TLS1_2", p.GetProperty("minimumTlsVersion").GetString());
    }

    [SkippableFact]
    public void Containers_for_the_package_references_and_videos_are_created()
    {
        var main = BicepCli.Build("main.bicep").RootElement.GetRawText();
        var resources = MainResources();

        Assert.Single(resources.OfType("Microsoft.Storage/storageAccounts/blobServices/containers"));
        Assert.Contains("app-package-", main);
        Assert.Contains("\"referencesContainerName\": \"references\"", main);
        Assert.Contains("\"videosContainerName\": \"videos\"", main);
    }

    [SkippableFact]
    public void Lifecycle_policy_expires_archived_videos_after_the_retention_parameter()
    {
        var policy = Assert.Single(MainResources().OfType("Microsoft.Storage/storageAccounts/managementPolicies"));
        var rules = policy.Properties.GetProperty("policy").GetProperty("rules").EnumerateArray().ToList();
        Assert.Equal(["archived-videos", "job-state-records"], rules.Select(r => r.GetProperty("name").GetString()));
        var rule = rules.Single(r => r.GetProperty("name").GetString() == "archived-videos");
        var definition = rule.GetProperty("definition");

        Assert.Contains("videosContainerName", definition.GetProperty("filters").GetProperty("prefixMatch")[0].GetString());
        var baseBlob = definition.GetProperty("actions").GetProperty("baseBlob").GetString()!;
        Assert.Contains("variables('deleteAction')", baseBlob);
        Assert.Contains("variables('coolAction')", baseBlob);
        var text = BicepCli.Build("main.bicep").RootElement.GetRawText();
        Assert.Contains("\"daysAfterModificationGreaterThan\": \"[parameters('videoRetentionDays')]\"", text);
        Assert.Contains("\"daysAfterModificationGreaterThan\": \"[parameters('videoCoolAfterDays')]\"", text);

        // The workflow's idempotency records and upload receipts go too, after the history retention.
        var state = rules.Single(r => r.GetProperty("name").GetString() == "job-state-records").GetProperty("definition");
        Assert.Contains("stateContainerName", state.GetProperty("filters").GetProperty("prefixMatch")[0].GetString());
        Assert.Contains("stateRetentionDays", state.GetProperty("actions").GetProperty("baseBlob").GetProperty("delete")
            .GetProperty("daysAfterModificationGreaterThan").GetString());
    }

    [SkippableFact]
    public void Key_vault_uses_RBAC()
    {
        var vault = Assert.Single(MainResources().OfType("Microsoft.KeyVault/vaults"));

        Assert.True(vault.Properties.GetProperty("enableRbacAuthorization").GetBoolean());
        Assert.True(vault.Properties.GetProperty("enableSoftDelete").GetBoolean());
    }

    [SkippableFact]
    public void Application_Insights_has_local_auth_disabled_and_a_workspace()
    {
        var insights = Assert.Single(MainResources().OfType("Microsoft.Insights/components"));

        Assert.True(insights.Properties.GetProperty("DisableLocalAuth").GetBoolean());
        Assert.Contains("Microsoft.OperationalInsights/workspaces", insights.Properties.GetProperty("WorkspaceResourceId").GetString());
    }

    [SkippableTheory]
    [MemberData(nameof(Roles))]
    public void Identity_gets_role(string role, string roleDefinitionId)
    {
        var resources = MainResources();
        var text = BicepCli.Build("main.bicep").RootElement.GetRawText();

        Assert.True(text.Contains(roleDefinitionId, StringComparison.OrdinalIgnoreCase), $"Role {role} ({roleDefinitionId}) is not assigned.");
        Assert.All(resources.OfType("Microsoft.Authorization/roleAssignments"), r =>
            Assert.Contains("Microsoft.Authorization/roleDefinitions", r.Properties.GetProperty("roleDefinitionId").GetString()));
    }

    [SkippableFact]
    public void No_broad_roles_are_assigned()
    {
        var text = BicepCli.Build("main.bicep").RootElement.GetRawText();

        Assert.DoesNotContain("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", text); // Owner
        Assert.DoesNotContain("b24988ac-6180-42a0-ab88-20f7382dd24c", text); // Contributor
        Assert.DoesNotContain("00482a5a-887f-4fb3-b363-3b7fe8e74483", text); // Key Vault Administrator
        Assert.DoesNotContain("17d1049b-9a84-46fb-8f53-869881c3d3ab", text); // Storage Account Contributor
    }

    [SkippableFact]
    public void Main_outputs_what_a_caller_needs_and_no_secret()
    {
        var outputs = BicepCli.Build("main.bicep").RootElement.GetProperty("outputs").EnumerateObject().ToList();
        var names = outputs.Select(o => o.Name).ToHashSet();

        foreach (var name in new[]
                 {
                     "AZURE_RESOURCE_GROUP", "AZURE_FUNCTION_APP_NAME", "SERVICE_API_URI", "API_BASE_URL",
                     "AZURE_STORAGE_BLOB_ENDPOINT", "REFERENCES_CONTAINER_URL", "VIDEOS_CONTAINER_URL",
                     "AZURE_KEY_VAULT_ENDPOINT", "EVENTGRID_SYSTEM_TOPIC_NAME",
                 })
        {
            Assert.Contains(name, names);
        }

        Assert.All(outputs, o => Assert.NotEqual("securestring", o.Value.GetProperty("type").GetString()));
        Assert.DoesNotContain(outputs, o => o.Value.GetRawText().Contains("listKeys", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(outputs, o => o.Value.GetRawText().Contains("dashScopeApiKey", StringComparison.Ordinal));
    }

    [SkippableFact]
    public void Parameters_file_matches_the_template_parameters()
    {
        var template = BicepCli.Build("main.bicep").RootElement.GetProperty("parameters").EnumerateObject().ToList();
        using var file = JsonDocument.Parse(File.ReadAllText(Repo.InfraFile("main.parameters.json")));
        var supplied = file.RootElement.GetProperty("parameters").EnumerateObject().Select(p => p.Name).ToHashSet();

        Assert.All(supplied, name => Assert.Contains(name, template.Select(p => p.Name)));
        Assert.All(
            template.Where(p => !p.Value.TryGetProperty("defaultValue", out _)),
            p => Assert.Contains(p.Name, supplied));
        Assert.Equal("securestring", template.Single(p => p.Name == "dashScopeApiKey").Value.GetProperty("type").GetString());
        var regions = template.Single(p => p.Name == "dashScopeRegion").Value.GetProperty("allowedValues").EnumerateArray().Select(v => v.GetString());
        Assert.Equal(Enum.GetNames<WanFunctions.DashScope.DashScopeRegion>().Order(), regions.Order());
    }

    [SkippableFact]
    public void Region_base_urls_match_the_code()
    {
        var endpoints = BicepCli.Build("main.bicep").RootElement.GetProperty("variables").GetProperty("dashScopeEndpoints");

        foreach (var region in Enum.GetValues<WanFunctions.DashScope.DashScopeRegion>())
        {
            var expected = WanFunctions.DashScope.DashScopeOptions.DefaultBaseUrl(region).ToString().TrimEnd('/');
            Assert.Equal(expected, endpoints.GetProperty(region.ToString()).GetString());
        }
    }

    [SkippableFact]
    public void Event_Grid_subscription_targets_the_blob_trigger_webhook()
    {
        BicepCli.SkipIfMissing();
        var resources = ArmTemplate.AllResources(BicepCli.Build("app/eventgrid.bicep"));
        var subscription = Assert.Single(resources.OfType("Microsoft.EventGrid/systemTopics/eventSubscriptions"));
        var destination = subscription.Properties.GetProperty("destination");
        var filter = subscription.Properties.GetProperty("filter");
        var url = destination.GetProperty("properties").GetProperty("endpointUrl").GetString()!;

        Assert.Equal("WebHook", destination.GetProperty("endpointType").GetString());
        Assert.Contains("/runtime/webhooks/blobs?functionName=Host.Functions.{1}&code={2}", url);
        Assert.Contains("blobs_extension", BicepCli.Build("app/eventgrid.bicep").RootElement.GetRawText());
        Assert.Equal(["Microsoft.Storage.BlobCreated"], filter.GetProperty("includedEventTypes").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("/blobServices/default/containers/{0}/", filter.GetProperty("subjectBeginsWith").GetString());

        var parameters = BicepCli.Build("app/eventgrid.bicep").RootElement.GetProperty("parameters");
        Assert.Equal("StartJobFromBlob", parameters.GetProperty("functionName").GetProperty("defaultValue").GetString());
        Assert.Equal("references", parameters.GetProperty("containerName").GetProperty("defaultValue").GetString());
    }

    [SkippableFact]
    public void Event_Grid_subscription_delivers_only_the_calls_that_finish_a_write()
    {
        BicepCli.SkipIfMissing();
        var resources = ArmTemplate.AllResources(BicepCli.Build("app/eventgrid.bicep"));
        var subscription = Assert.Single(resources.OfType("Microsoft.EventGrid/systemTopics/eventSubscriptions"));

        var filter = Assert.Single(subscription.Properties.GetProperty("filter").GetProperty("advancedFilters").EnumerateArray());

        Assert.Equal("StringIn", filter.GetProperty("operatorType").GetString());
        Assert.Equal("data.api", filter.GetProperty("key").GetString());
        Assert.Equal(["PutBlob", "PutBlockList", "CopyBlob"], filter.GetProperty("values").EnumerateArray().Select(v => v.GetString()));
    }
}
