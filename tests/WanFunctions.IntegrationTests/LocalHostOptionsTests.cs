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
}
