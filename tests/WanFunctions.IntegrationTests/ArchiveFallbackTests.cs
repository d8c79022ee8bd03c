using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using DashScope.Simulator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using WanFunctions.DashScope;
using WanFunctions.Storage;
using WanFunctions.Workflow;

namespace WanFunctions.IntegrationTests;

/// <summary>
/// The archive on Azurite, which implements neither server-side copy call: its refusal reads as "not supported", and the
/// archiver (built by the app's own DI) streams the video instead, byte for byte, and records that it did.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class ArchiveFallbackTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Azurite_refuses_Put_Blob_From_URL_and_Put_Block_From_URL_as_not_supported()
    {
        var container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(NewContainerName());
        await container.CreateIfNotExistsAsync();
        var blob = container.GetBlockBlobClient("copy.mp4");
        var source = new Uri("https://dashscope-result-sgp.oss-ap-southeast-1.aliyuncs.com/v.mp4?Expires=1&Signature=s");

        var putBlob = await Assert.ThrowsAsync<RequestFailedException>(() => blob.SyncUploadFromUriAsync(source, new BlobSyncUploadFromUriOptions()));
        var putBlock = await Assert.ThrowsAsync<RequestFailedException>(() =>
            blob.StageBlockFromUriAsync(source, Convert.ToBase64String("000000"u8.ToArray()), new StageBlockFromUriOptions { SourceRange = new HttpRange(0, 10) }));

        Assert.Equal(ServerCopyRefusal.NotSupported, ServerCopyRefusals.Classify(putBlob));
        Assert.Equal(ServerCopyRefusal.NotSupported, ServerCopyRefusals.Classify(putBlock));
        await container.DeleteIfExistsAsync();
    }

    [Fact]
    public async Task The_archive_streams_the_video_when_the_storage_service_refuses_to_copy_it_and_says_so()
    {
        await using var sim = await SimulatorHost.StartAsync(new SimulatorOptions { PendingSeconds = 0.01, RunningSeconds = 0.01, VideoSizeBytes = 5 * 1024 * 1024 + 7 });
        var containerName = NewContainerName();
        await using var services = Services(sim, containerName);
        var dashScope = services.GetRequiredService<IDashScopeClient>();
        var taskId = (await dashScope.SubmitAsync(new VideoSynthesisRequest("wan2.6-r2v-flash", "character1 jumps", null,
            ["https://example.com/people/alice.mp4"], Size: "1280*720", Duration: 5))).TaskId;
        await WaitUntilSucceededAsync(dashScope, taskId);
        var archiver = services.GetRequiredService<VideoArchiver>();
        var input = new ArchiveVideoInput("job-fallback", taskId, "2026/11/29/job-fallback.mp4", "wan2.6-r2v-flash", "1280*720", 5, new string('0', 64));

        var video = await archiver.ArchiveAsync(input, CancellationToken.None);
        var again = await archiver.ArchiveAsync(input, CancellationToken.None);

        Assert.Equal(ArchiveMethods.Streamed, video.Method);
        Assert.False(video.AlreadyArchived);
        var blob = services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient(containerName).GetBlobClient(input.BlobName);
        var archived = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        using var http = new HttpClient();
        Assert.Equal(await http.GetByteArrayAsync((await dashScope.GetTaskAsync(taskId)).VideoUrl), archived);
        Assert.Equal(archived.Length, video.Bytes);
        // A re-run keeps the blob and still tells how it got there.
        Assert.True(again.AlreadyArchived);
        Assert.Equal(ArchiveMethods.Streamed, again.Method);
        await services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient(containerName).DeleteIfExistsAsync();
    }

    private static string NewContainerName() => "fallback" + Guid.NewGuid().ToString("N")[..12];

    private ServiceProvider Services(SimulatorHost sim, string container)
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DashScope:BaseUrl"] = sim.BaseUrl.ToString(),
            ["DashScope:ApiKey"] = sim.ApiKey,
            ["DashScope:Region"] = "International",
            ["Storage:ConnectionString"] = azurite.ConnectionString,
            ["Archive:Container"] = container,
            ["Archive:AllowedHosts:0"] = "127.0.0.1",
            ["Archive:AllowHttpLoopback"] = "true",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton(configuration);
        services.AddWanFunctions(configuration);
        return services.BuildServiceProvider();
    }

    private static async Task WaitUntilSucceededAsync(IDashScopeClient dashScope, string taskId)
    {
        for (var i = 0; i < 200; i++)
        {
            var status = await dashScope.GetTaskAsync(taskId);
            if (status.State == DashScopeTaskState.Succeeded)
            {
                return;
            }

            Assert.True(status.State is DashScopeTaskState.Pending or DashScopeTaskState.Running, $"Task ended {status.State}.");
            await Task.Delay(50);
        }

        Assert.Fail($"Task {taskId} did not succeed within 10 s.");
    }
}
