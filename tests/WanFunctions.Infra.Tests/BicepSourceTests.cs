using System.Text.Json;
using System.Text.RegularExpressions;

namespace WanFunctions.Infra.Tests;

/// <summary>Checks on the Bicep sources and azd files that need no compiler.</summary>
public class BicepSourceTests
{
    [Fact]
    public void Infra_has_the_expected_entry_points()
    {
        var files = Repo.BicepFiles().Select(Repo.Relative).ToList();

        Assert.Contains("infra/main.bicep", files);
        Assert.Contains("infra/app/api.bicep", files);
        Assert.Contains("infra/app/eventgrid.bicep", files);
        Assert.True(File.Exists(Repo.InfraFile("bicepconfig.json")));
        Assert.True(File.Exists(Repo.InfraFile("main.parameters.json")));
    }

    [Fact]
    public void No_module_comes_from_a_registry()
    {
        // The build machines reach no module registry: every module must be a local file.
        var offenders = Repo.BicepFiles()
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, line, i)))
            .Where(x => Regex.IsMatch(x.line, @"'(br|ts)[:/]", RegexOptions.IgnoreCase))
            .Select(x => $"{Repo.Relative(x.f)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();

        Assert.Empty(offenders);
    }

    [Fact]
    public void Every_module_path_is_a_local_file()
    {
        foreach (var file in Repo.BicepFiles())
        {
            foreach (Match m in Regex.Matches(File.ReadAllText(file), @"^\s*module\s+\w+\s+'(?<path>[^']+)'", RegexOptions.Multiline))
            {
                var target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, m.Groups["path"].Value));
                Assert.True(File.Exists(target), $"{Repo.Relative(file)}: module '{m.Groups["path"].Value}' does not exist.");
            }
        }
    }

    [Fact]
    public void Bicepconfig_makes_the_security_rules_errors()
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Repo.InfraFile("bicepconfig.json")));
        var rules = config.RootElement.GetProperty("analyzers").GetProperty("core").GetProperty("rules");

        foreach (var rule in new[]
                 {
                     "secure-parameter-default", "outputs-should-not-contain-secrets", "no-hardcoded-env-urls",
                     "secure-secrets-in-params", "use-secure-value-for-secure-inputs", "protect-commandtosexecute-secrets",
                     "adminusername-should-not-be-literal", "no-unused-params", "no-unused-vars",
                     "use-resource-symbol-reference", "prefer-unquoted-property-names",
                 })
        {
            Assert.True(rules.TryGetProperty(rule, out var setting), $"bicepconfig.json lacks rule {rule}.");
            Assert.Equal("error", setting.GetProperty("level").GetString());
        }
    }

    [Fact]
    public void Parameters_file_uses_azd_substitution_and_keeps_the_key_out_of_the_repo()
    {
        using var parameters = JsonDocument.Parse(File.ReadAllText(Repo.InfraFile("main.parameters.json")));
        var values = parameters.RootElement.GetProperty("parameters").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.GetProperty("value").GetString());

        Assert.Equal("${AZURE_ENV_NAME}", values["environmentName"]);
        Assert.Equal("${AZURE_LOCATION}", values["location"]);
        Assert.Equal("${DASHSCOPE_API_KEY}", values["dashScopeApiKey"]);
        Assert.All(values, v => Assert.Matches(@"^\$\{[A-Z0-9_]+(=[^}]*)?\}$", v.Value));
    }

    [Fact]
    public void Azure_yaml_deploys_the_function_app_and_runs_the_post_deploy_hook()
    {
        var yaml = File.ReadAllText(Path.Combine(Repo.Root, "azure.yaml"));

        Assert.Matches(@"(?m)^\s{2}api:\s*$", yaml);
        Assert.Matches(@"(?m)^\s+project:\s*\./src/WanFunctions\.App\s*$", yaml);
        Assert.Matches(@"(?m)^\s+language:\s*dotnet\s*$", yaml);
        Assert.Matches(@"(?m)^\s+host:\s*function\s*$", yaml);
        Assert.Matches(@"(?m)^\s+postdeploy:\s*$", yaml);
        Assert.True(File.Exists(Path.Combine(Repo.Root, "src", "WanFunctions.App", "WanFunctions.App.csproj")));
        Assert.True(File.Exists(Repo.InfraFile("scripts", "postdeploy.sh")));
        Assert.True(File.Exists(Repo.InfraFile("scripts", "postdeploy.ps1")));
    }
}
