using System.Reflection;

namespace WanFunctions.Infra.Tests;

/// <summary>The code's one list of app settings (AppSettingNames) and the Bicep's appsettings must not drift apart.</summary>
public class AppSettingsTests
{
    /// <summary>Every public string constant of AppSettingNames (and the Required list): the settings the code reads.</summary>
    public static IReadOnlyList<string> AllNames() =>
        typeof(AppSettingNames).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f is { IsLiteral: true, IsInitOnly: false } && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Concat(AppSettingNames.Required)
            .Distinct()
            .ToList();

    public static TheoryData<string> SettingNames() => new(AllNames());

    [Theory]
    [MemberData(nameof(SettingNames))]
    public void Bicep_sets_every_setting_the_code_reads(string name)
    {
        var settings = BicepAppSettings.ReadAll();

        Assert.True(
            settings.Any(s => s.Name == name),
            $"App setting '{name}' (src/WanFunctions.Core/AppSettingNames.cs) is not set in any appsettings resource under infra/. " +
            $"Found: {string.Join(", ", settings.Select(s => s.Name))}");
    }

    [Fact]
    public void Required_settings_are_constants_of_AppSettingNames()
    {
        var constants = AllNames().ToHashSet();
        Assert.All(AppSettingNames.Required, name => Assert.Contains(name, constants));
    }

    [Fact]
    public void The_parser_finds_the_function_app_settings()
    {
        var settings = BicepAppSettings.ReadAll();

        Assert.NotEmpty(settings);
        Assert.All(settings, s => Assert.Equal("infra/app/api.bicep", s.File));
        Assert.Equal(settings.Count, settings.Select(s => s.Name).Distinct().Count());
    }

    [Fact]
    public void DashScope_api_key_is_a_Key_Vault_reference_not_a_literal()
    {
        var apiKey = Assert.Single(BicepAppSettings.ReadAll(), s => s.Name == AppSettingNames.DashScopeApiKey);

        // A version-less secret URI from the Key Vault module: new secret versions are picked up without a redeploy.
        Assert.Matches(@"^'@Microsoft\.KeyVault\(SecretUri=\$\{[A-Za-z_][A-Za-z0-9_.]*\}\)'$", apiKey.Value);
    }

    [Theory]
    [InlineData("AzureWebJobsStorage__blobServiceUri")]
    [InlineData("AzureWebJobsStorage__queueServiceUri")]
    [InlineData("AzureWebJobsStorage__tableServiceUri")]
    [InlineData("AzureWebJobsStorage__credential")]
    [InlineData("AzureWebJobsStorage__clientId")]
    [InlineData("APPLICATIONINSIGHTS_CONNECTION_STRING")]
    [InlineData("APPLICATIONINSIGHTS_AUTHENTICATION_STRING")]
    [InlineData("AZURE_CLIENT_ID")]
    public void Host_settings_are_identity_based(string name)
    {
        Assert.Contains(BicepAppSettings.ReadAll(), s => s.Name == name);
    }

    [Fact]
    public void No_setting_uses_a_connection_string_or_account_key()
    {
        var settings = BicepAppSettings.ReadAll();

        Assert.DoesNotContain(settings, s => s.Name == "AzureWebJobsStorage");
        Assert.DoesNotContain(settings, s => s.Value.Contains("AccountKey", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(settings, s => s.Value.Contains("listKeys", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("'managedidentity'", Assert.Single(settings, s => s.Name == "AzureWebJobsStorage__credential").Value);
        Assert.EndsWith(
            ";Authorization=AAD'",
            Assert.Single(settings, s => s.Name == "APPLICATIONINSIGHTS_AUTHENTICATION_STRING").Value);
    }

    [Fact]
    public void Parser_reads_quoted_and_unquoted_keys_and_ignores_nested_objects()
    {
        const string bicep = """
            resource app 'Microsoft.Web/sites@2024-04-01' = {
              name: 'x'
              properties: {
                siteConfig: {
                  notASetting: 1
                }
              }
              resource appSettings 'config' = {
                name: 'appsettings'
                properties: {
                  // comment: Ignored__Setting: 'x'
                  Plain__Name: 'a'
                  'Quoted.Name': 'b'
                }
              }
            }
            """;

        var settings = BicepAppSettings.Read(Repo.InfraFile("main.bicep"), bicep).ToList();

        Assert.Equal(["Plain__Name", "Quoted.Name"], settings.Select(s => s.Name));
        Assert.Equal("'a'", settings[0].Value);
    }
}
