using System.Text.Json.Nodes;
using Azure.Storage.Blobs;

namespace WanFunctions.IntegrationTests;

/// <summary>Faults injected by the simulator, end to end on the real engine.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class ProviderFaultTests(AzuriteFixture azurite)
{
    private const string SubmitPath = "/api/v1/services/aigc/video-generation/video-synthesis";

    [Fact]
    public async Task A_download_cut_off_midway_is_retried_and_the_archive_holds_the_whole_video()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);
        var (_, accepted) = await world.PostJobAsync(Job("character1 jumps [sim:truncate=1]"));

        var done = await world.WaitForFinishAsync((string)accepted["id"]!);

        Assert.Equal("Succeeded", (string)done["status"]!);
        var taskId = (string)done["result"]!["taskId"]!;
        var video = done["result"]!["video"]!.AsObject();
        var archived = (await world.Blobs.GetBlobContainerClient(world.ArchiveContainer)
            .GetBlobClient((string)video["blobName"]!).DownloadContentAsync()).Value.Content.ToArray();
        Assert.Equal(await world.DownloadFromSimulatorAsync(taskId), archived);
        Assert.True(world.CountRequests("GET", p => p.StartsWith("/results/", StringComparison.Ordinal)) >= 2);
    }

    [Fact]
    public async Task A_download_that_always_breaks_fails_the_job_and_leaves_no_half_written_blob()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);
        var (_, accepted) = await world.PostJobAsync(Job("character1 jumps [sim:truncate=20]"));

        var done = await world.WaitForFinishAsync((string)accepted["id"]!);

        Assert.Equal("Failed", (string)done["status"]!);
        Assert.Equal("ArchiveFailed", (string)done["error"]!["code"]!);
        var container = world.Blobs.GetBlobContainerClient(world.ArchiveContainer);
        if (await container.ExistsAsync())
        {
            await foreach (var blob in container.GetBlobsAsync())
            {
                Assert.Fail($"Unexpected blob {blob.Name} ({blob.Properties.ContentLength} bytes)");
            }
        }
    }

    [Fact]
    public async Task A_throttled_submit_is_retried_by_the_durable_policy_and_creates_one_task()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);
        var (_, accepted) = await world.PostJobAsync(Job("character1 sings [sim:submit429=1]"));

        var done = await world.WaitForFinishAsync((string)accepted["id"]!);

        Assert.Equal("Succeeded", (string)done["status"]!);
        Assert.Equal(2, world.CountRequests("POST", p => p == SubmitPath));
        Assert.Equal([429, 200], world.Simulator.Requests.Where(r => r.Path == SubmitPath).Select(r => r.StatusCode ?? 0));
    }

    [Fact]
    public async Task Failing_queries_do_not_end_the_job()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);
        var (_, accepted) = await world.PostJobAsync(Job("character1 sings [sim:query500=4] [sim:malformed=1]"));

        var done = await world.WaitForFinishAsync((string)accepted["id"]!);

        Assert.Equal("Succeeded", (string)done["status"]!);
    }

    [Fact]
    public async Task A_video_from_a_host_off_the_allow_list_is_never_downloaded_and_the_job_says_why()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite, overrides: new Dictionary<string, string?>
        {
            ["Archive:AllowedHosts:0"] = "*.aliyuncs.com",
        });
        var (_, accepted) = await world.PostJobAsync(Job("character1 waves"));

        var done = await world.WaitForFinishAsync((string)accepted["id"]!);

        Assert.Equal("Failed", (string)done["status"]!);
        Assert.Equal("ArchiveFailed", (string)done["error"]!["code"]!);
        Assert.Contains("127.0.0.1", (string)done["error"]!["message"]!);
        Assert.Contains("Archive:AllowedHosts", (string)done["error"]!["message"]!);
        Assert.Equal(0, world.CountRequests("GET", p => p.StartsWith("/results/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Blob_references_that_are_missing_or_too_large_fail_the_job_before_anything_is_submitted()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);
        var references = world.Blobs.GetBlobContainerClient("references");
        await references.CreateIfNotExistsAsync();
        var big = $"{Guid.NewGuid():N}/poster.png";
        await references.GetBlobClient(big).UploadAsync(new BinaryData(new byte[20 * 1024 * 1024 + 1]));

        var (_, tooLarge) = await world.PostJobAsync(new { prompt = "character1 poses", references = new[] { new { blob = $"references/{big}" } } });
        var (_, missing) = await world.PostJobAsync(new { prompt = "character1 poses", references = new[] { new { blob = "references/nobody/here.mp4" } } });

        var large = await world.WaitForFinishAsync((string)tooLarge["id"]!);
        Assert.Equal("Failed", (string)large["status"]!);
        Assert.Equal("ReferenceTooLarge", (string)large["error"]!["code"]!);
        Assert.Contains("20 MB", (string)large["error"]!["message"]!);
        var gone = await world.WaitForFinishAsync((string)missing["id"]!);
        Assert.Equal("ReferenceNotFound", (string)gone["error"]!["code"]!);
        Assert.Equal(0, world.CountRequests("POST", p => p == SubmitPath));
    }

    [Fact]
    public async Task A_provider_4xx_on_submit_fails_the_job_at_once_with_the_providers_code()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite,
            overrides: new Dictionary<string, string?> { ["DashScope:ApiKey"] = "not-the-right-key" });
        var (_, accepted) = await world.PostJobAsync(Job("character1 waves"));

        var done = await world.WaitForFinishAsync((string)accepted["id"]!);

        Assert.Equal("Failed", (string)done["status"]!);
        Assert.Equal("InvalidApiKey", (string)done["error"]!["code"]!);
        Assert.Equal("provider", (string)done["error"]!["source"]!);
        Assert.Equal(1, world.CountRequests("POST", p => p == SubmitPath));
        Assert.DoesNotContain("not-the-right-key", done.ToJsonString());
    }

    private static object Job(string prompt) => new
    {
        prompt,
        references = new[] { new { url = "https://example.com/people/alice.mp4" } },
        duration = 5,
    };
}
