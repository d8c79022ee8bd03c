using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using WanFunctions.LocalHost;

namespace WanFunctions.IntegrationTests;

/// <summary>
/// The durable backend's settings are checked before the sidecar starts: a bad one stops the local host at once,
/// naming the setting. No storage is needed, since nothing starts.
/// </summary>
public sealed class LocalHostOptionsTests
{
    private static async Task<OptionsValidationException> StartFailsAsync(Dictionary<string, string?> settings)
    {
        settings["DashScope:BaseUrl"] = "http://127.0.0.1:9";
        settings["DashScope:ApiKey"] = "sk-options-test";
        settings.TryAdd("Storage:ConnectionString", "UseDevelopmentStorage=true");
        return await Assert.ThrowsAsync<OptionsValidationException>(() =>
            LocalHostApp.StartAsync(["--urls", "http://127.0.0.1:0", "--environment", "Production"], config => config.AddInMemoryCollection(settings)));
    }

    [Theory]
    [InlineData("DurableTask:TaskHub", "1hub", "DurableTask:TaskHub must be 3-45 letters and digits, starting with a letter.")]
    [InlineData("DurableTask:TaskHub", "hub-with-dashes", "DurableTask:TaskHub must be 3-45 letters and digits, starting with a letter.")]
    [InlineData("DurableTask:PartitionCount", "17", "PartitionCount")]
    [InlineData("DurableTask:MaxQueuePollingInterval", "00:02:00", "MaxQueuePollingInterval")]
    [InlineData("DurableTask:MessageVisibilityTimeout", "00:00:01", "MessageVisibilityTimeout")]
    public async Task A_setting_out_of_its_range_stops_the_start_naming_it(string key, string value, string expected)
    {
        var ex = await StartFailsAsync(new() { [key] = value });

        Assert.Contains(expected, Assert.Single(ex.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_storage_connection_or_account_the_start_stops_saying_what_to_set()
    {
        var ex = await StartFailsAsync(new()
        {
            ["Storage:ConnectionString"] = "",
            ["DurableTask:StorageConnectionString"] = null,
            ["DurableTask:StorageAccountName"] = null,
        });

        Assert.Contains(
            "Set DurableTask:StorageConnectionString (Azurite) or DurableTask:StorageAccountName (managed identity).",
            Assert.Single(ex.Failures));
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task Outside_Development_without_an_api_key_the_host_refuses_to_start(string environment)
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => LocalHostApp.StartAsync(
            ["--urls", "http://127.0.0.1:0", "--environment", environment],
            config => config.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["DashScope:BaseUrl"] = "http://127.0.0.1:9",
                ["DashScope:ApiKey"] = "sk-options-test",
                ["Storage:ConnectionString"] = "UseDevelopmentStorage=true",
                ["LocalHost:ApiKeys:0"] = "  ",
            })));

        var message = Assert.Single(ex.Failures);
        Assert.Contains($"outside the Development environment (this one is '{environment}')", message, StringComparison.Ordinal);
        Assert.Contains("LocalHost:ApiKeys:0", message, StringComparison.Ordinal);
        Assert.Contains("ASPNETCORE_ENVIRONMENT=Development", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_short_api_key_stops_the_start_without_showing_the_key()
    {
        var ex = await StartFailsAsync(new() { ["LocalHost:ApiKeys:0"] = "short-secret" });

        var message = Assert.Single(ex.Failures);
        Assert.Equal("Every LocalHost:ApiKeys entry must be at least 16 characters long.", message);
        Assert.DoesNotContain("short-secret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_header_name_that_is_not_a_token_stops_the_start()
    {
        var ex = await StartFailsAsync(new() { ["LocalHost:ApiKeys:0"] = "a-long-enough-key-0123", ["LocalHost:ApiKeyHeader"] = "x api key" });

        Assert.Contains("LocalHost:ApiKeyHeader must be a header name", Assert.Single(ex.Failures), StringComparison.Ordinal);
    }
}
