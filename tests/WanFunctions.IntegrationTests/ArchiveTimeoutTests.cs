using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using DashScope.Simulator;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;
using WanFunctions.DashScope;
using WanFunctions.Storage;
using WanFunctions.Workflow;

namespace WanFunctions.IntegrationTests;

/// <summary>
/// Bounded I/O: a result host that stalls (or trickles) mid-body ends the archive attempt instead of hanging it, the
/// job ends either way, and stopping the local host ends a download in flight. Real sockets, real Azurite.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class ArchiveTimeoutTests(AzuriteFixture azurite)
{
    private const string Signature = "Signature=secret-signature";

    [Fact]
    public async Task A_download_that_goes_silent_mid_body_fails_after_the_idle_timeout_and_commits_nothing()
    {
        await using var server = new StallingHttpServer();
        var container = NewContainerName();
        var archiver = Archiver(server, container, idle: TimeSpan.FromSeconds(1), attempt: TimeSpan.FromMinutes(5));
        // Not a time assertion: without an idle timeout the attempt would wait here for ever.
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var ex = await Assert.ThrowsAsync<TimeoutException>(() => archiver.ArchiveAsync(Input("task-silent"), guard.Token));

        Assert.Contains("task-silent", ex.Message);
        Assert.Contains("stalled", ex.Message);
        Assert.Contains("Archive:DownloadIdleTimeout", ex.Message);
        Assert.DoesNotContain(Signature, ex.ToString());
        Assert.Equal(1, server.Requests);
        await AssertNothingArchivedAsync(container);
        await server.ClientGone.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_download_that_trickles_past_the_attempt_limit_fails_and_commits_nothing()
    {
        await using var server = new StallingHttpServer(trickleInterval: TimeSpan.FromMilliseconds(100));
        var container = NewContainerName();
        var archiver = Archiver(server, container, idle: TimeSpan.FromSeconds(10), attempt: TimeSpan.FromSeconds(2));
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var ex = await Assert.ThrowsAsync<TimeoutException>(() => archiver.ArchiveAsync(Input("task-slow"), guard.Token));

        Assert.Contains("task-slow", ex.Message);
        Assert.Contains("Archive:AttemptTimeout", ex.Message);
        Assert.DoesNotContain(Signature, ex.ToString());
        await AssertNothingArchivedAsync(container);
    }

    [Fact]
    public async Task A_result_host_that_stalls_mid_body_ends_the_job_ArchiveFailed_after_the_retries()
    {
        await using var server = new StallingHttpServer();
        await using var world = await WorkflowHarness.StartAsync(azurite,
            new SimulatorOptions { PendingSeconds = 1, RunningSeconds = 1, PublicBaseUrl = server.BaseUrl },
            new Dictionary<string, string?> { ["Archive:DownloadIdleTimeout"] = "00:00:01" });
        var (_, accepted) = await world.PostJobAsync(Job);

        var done = await world.WaitForFinishAsync((string)accepted["id"]!, TimeSpan.FromSeconds(120));

        Assert.Equal("Failed", (string)done["status"]!);
        Assert.Equal("ArchiveFailed", (string)done["error"]!["code"]!);
        Assert.Contains("Archive:DownloadIdleTimeout", (string)done["error"]!["message"]!);
        Assert.DoesNotContain("Signature=", done.ToJsonString());
        Assert.True(server.Requests >= 2, $"The archive was tried {server.Requests} time(s); the retry policy should try again.");
        var videos = world.Blobs.GetBlobContainerClient(world.ArchiveContainer);
        if (await videos.ExistsAsync())
        {
            await foreach (var blob in videos.GetBlobsAsync())
            {
                Assert.Fail($"Unexpected blob {blob.Name}");
            }
        }
    }

    [Fact]
    public async Task Stopping_the_local_host_ends_a_download_in_flight()
    {
        await using var server = new StallingHttpServer();
        await using var world = await WorkflowHarness.StartAsync(azurite,
            new SimulatorOptions { PendingSeconds = 1, RunningSeconds = 1, PublicBaseUrl = server.BaseUrl },
            new Dictionary<string, string?> { ["Archive:DownloadIdleTimeout"] = "00:10:00" });
        await world.PostJobAsync(Job);
        await server.FirstRequest.Task.WaitAsync(TimeSpan.FromSeconds(60));

        await world.StopHostAsync();

        // The activity's token is the host's: the stalled read is canceled and the connection dropped, not left open.
        await server.ClientGone.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static readonly object Job = new
    {
        prompt = "character1 jumps",
        references = new[] { new { url = "https://example.com/people/alice.mp4" } },
        duration = 5,
    };

    private static string NewContainerName() => "stall" + Guid.NewGuid().ToString("N")[..12];

    private static ArchiveVideoInput Input(string taskId) =>
        new("job-" + taskId, taskId, $"2025/01/01/{taskId}.mp4", "wan2.6-r2v-flash", "1280*720", 5, new string('0', 64));

    private VideoArchiver Archiver(StallingHttpServer server, string container, TimeSpan idle, TimeSpan attempt)
    {
        var options = Options.Create(new ArchiveOptions
        {
            Container = container,
            AllowedHosts = ["127.0.0.1"],
            AllowHttpLoopback = true,
            DownloadIdleTimeout = idle,
            AttemptTimeout = attempt,
        });
        var dashScope = new Mock<IDashScopeClient>();
        dashScope.Setup(d => d.GetTaskAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string id, CancellationToken _) => new DashScopeTaskStatus(id, DashScopeTaskState.Succeeded,
                $"{server.BaseUrl}/results/{id}.mp4?Expires=4102444800&{Signature}"));
        var http = new Mock<IHttpClientFactory>();
        http.Setup(f => f.CreateClient(VideoArchiver.HttpClientName)).Returns(() => new HttpClient());
        return new VideoArchiver(new BlobServiceClient(azurite.ConnectionString),
            Mock.Of<IDashScopeClientFactory>(f => f.ClientOf(It.IsAny<string?>()) == dashScope.Object), new VideoSourcePolicy(options),
            http.Object, options, TimeProvider.System, NullLogger<VideoArchiver>.Instance);
    }

    private async Task AssertNothingArchivedAsync(string container)
    {
        var client = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(container);
        if (await client.ExistsAsync())
        {
            await foreach (var blob in client.GetBlobsAsync())
            {
                Assert.Fail($"Unexpected blob {blob.Name} ({blob.Properties.ContentLength} bytes)");
            }
        }
    }
}
