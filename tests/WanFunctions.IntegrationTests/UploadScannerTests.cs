using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using WanFunctions.Api;
using WanFunctions.LocalHost;

namespace WanFunctions.IntegrationTests;

/// <summary>
/// The local host's upload scanner on the real engine and Azurite: each test has its own references container,
/// so no other test's uploads are found.
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class UploadScannerTests(AzuriteFixture azurite)
{
    private const string Manifest = """
        { "prompt": "character1 waves", "references": [ { "url": "https://example.com/a.mp4" } ], "duration": 5 }
        """;

    private static Task<WorkflowHarness> StartAsync(AzuriteFixture azurite, string overlap = "00:05:00") =>
        WorkflowHarness.StartAsync(azurite, overrides: new Dictionary<string, string?>
        {
            ["Storage:ReferencesContainer"] = "refs" + Guid.NewGuid().ToString("N")[..12],
            ["UploadScan:Enabled"] = "true",
            ["UploadScan:Interval"] = "00:00:01",
            ["UploadScan:Overlap"] = overlap,
            ["UploadScan:PageSize"] = "2",
        });

    [Fact]
    public async Task An_upload_starts_one_job_and_rescans_a_second_scanner_and_a_restart_start_none()
    {
        await using var world = await StartAsync(azurite);
        var blob = await UploadAsync(world, "scene.job.json", Manifest);
        // Other blobs on more than one listing page: a reference without a prompt and an empty manifest start nothing.
        await UploadAsync(world, "guitar.png", "png");
        await UploadAsync(world, "later.job.json", "");

        var receipt = await WaitForReceiptAsync(world, blob);
        var jobId = (string)receipt["jobId"]!;
        Assert.Equal("Succeeded", (string)(await world.WaitForFinishAsync(jobId))["status"]!);

        // A re-scan hands nothing over again (whatever a first scan finds, a second finds nothing new).
        var scanner = world.Host.Services.GetRequiredService<UploadScanner>();
        await scanner.ScanAsync(CancellationToken.None);
        Assert.Equal(0, await scanner.ScanAsync(CancellationToken.None));
        // A second host scanning the same container (no memory, same cursor) hands the manifest and the plain
        // reference over again (the empty blob is skipped): no new job.
        var second = ActivatorUtilities.CreateInstance<UploadScanner>(world.Host.Services);
        Assert.Equal(2, await second.ScanAsync(CancellationToken.None));
        await world.StopHostAsync();
        await world.StartHostAsync();
        await world.Host.Services.GetRequiredService<UploadScanner>().ScanAsync(CancellationToken.None);

        Assert.Equal(jobId, (string)(await ReadReceiptAsync(world, blob))["jobId"]!);
        Assert.Equal(1, world.CountRequests("POST", p => p.EndsWith("/video-synthesis", StringComparison.Ordinal)));
        Assert.False(await ReceiptClient(world, blob.BlobContainerName, "later.job.json").ExistsAsync());
        Assert.False(await ReceiptClient(world, blob.BlobContainerName, "guitar.png").ExistsAsync());
    }

    [Fact]
    public async Task After_a_restart_blobs_behind_the_cursor_are_not_read_again()
    {
        await using var world = await StartAsync(azurite, overlap: "00:00:00");
        var first = await UploadAsync(world, "first.job.json", Manifest);
        var firstReceipt = ReceiptClient(world, first.BlobContainerName, first.Name);
        await WaitForReceiptAsync(world, first);
        await Task.Delay(1100); // a later Last-Modified (whole seconds in Azure) for the second upload
        var second = await UploadAsync(world, "second.job.json", Manifest.Replace("waves", "bows", StringComparison.Ordinal));
        await WaitForReceiptAsync(world, second);
        var firstReceiptETag = (await firstReceipt.GetPropertiesAsync()).Value.ETag;

        await world.StopHostAsync();
        await world.StartHostAsync();
        await world.Host.Services.GetRequiredService<UploadScanner>().ScanAsync(CancellationToken.None);

        // The cursor (the second upload's time) is past the first: its receipt was not written again.
        Assert.Equal(firstReceiptETag, (await firstReceipt.GetPropertiesAsync()).Value.ETag);
        Assert.True(await world.Host.Services.GetRequiredService<UploadScanner>()
            .CursorBlob(first.BlobContainerName).ExistsAsync());
    }

    [Fact]
    public async Task A_blob_written_again_is_a_new_upload_and_starts_a_new_job()
    {
        await using var world = await StartAsync(azurite);
        var blob = await UploadAsync(world, "scene.job.json", Manifest);
        var firstJob = (string)(await WaitForReceiptAsync(world, blob))["jobId"]!;

        await UploadAsync(world, "scene.job.json", Manifest);
        var secondJob = await WaitForAsync(async () =>
            (string?)(await ReadReceiptAsync(world, blob))["jobId"] is { } id && id != firstJob ? id : null);

        Assert.Equal("Succeeded", (string)(await world.WaitForFinishAsync(firstJob))["status"]!);
        Assert.Equal("Succeeded", (string)(await world.WaitForFinishAsync(secondJob))["status"]!);
        Assert.Equal(2, world.CountRequests("POST", p => p.EndsWith("/video-synthesis", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task An_invalid_manifest_leaves_a_receipt_with_every_error_and_starts_nothing()
    {
        await using var world = await StartAsync(azurite);
        var blob = await UploadAsync(world, "bad.job.json", """
            { "prompt": "character1 and character2", "references": [ { "url": "https://example.com/a.mp4" } ], "duration": 42 }
            """);

        var receipt = await WaitForReceiptAsync(world, blob);

        Assert.Null(receipt["jobId"]);
        var errors = receipt["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("prompt"));
        Assert.True(errors.ContainsKey("duration"));
        Assert.Equal(0, world.CountRequests("POST", p => p.EndsWith("/video-synthesis", StringComparison.Ordinal)));
    }

    private static async Task<BlobClient> UploadAsync(WorkflowHarness world, string name, string content)
    {
        var container = world.Blobs.GetBlobContainerClient(world.Host.Services
            .GetRequiredService<Microsoft.Extensions.Options.IOptions<Storage.StorageOptions>>().Value.ReferencesContainer);
        await container.CreateIfNotExistsAsync();
        var blob = container.GetBlobClient(name);
        await blob.UploadAsync(new BinaryData(Encoding.UTF8.GetBytes(content)), overwrite: true);
        return blob;
    }

    private static BlobClient ReceiptClient(WorkflowHarness world, string container, string name) =>
        world.Host.Services.GetRequiredService<BlobJobStarter>().ReceiptFor(container, name);

    private static async Task<JsonObject> ReadReceiptAsync(WorkflowHarness world, BlobClient blob) =>
        JsonNode.Parse((await ReceiptClient(world, blob.BlobContainerName, blob.Name).DownloadContentAsync()).Value.Content.ToString())!.AsObject();

    private static Task<JsonObject> WaitForReceiptAsync(WorkflowHarness world, BlobClient blob) =>
        WaitForAsync(async () => await ReceiptClient(world, blob.BlobContainerName, blob.Name).ExistsAsync() ? await ReadReceiptAsync(world, blob) : null);

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe)
        where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            Assert.True(DateTime.UtcNow < deadline, "The scanner did not pick the upload up within 60 s.");
            await Task.Delay(250);
        }
    }
}
