using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;
using WanFunctions.Api;

namespace WanFunctions.IntegrationTests;

/// <summary>
/// The blob starter's shared code on the real engine and Azurite. (The Event Grid delivery itself needs Azure;
/// the Functions trigger only hands the uploaded blob to <see cref="BlobJobStarter"/>.)
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class BlobJobStarterTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_manifest_upload_starts_the_job_once_even_when_delivered_twice()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);
        var manifest = await UploadAsync(world, $"{Guid.NewGuid():N}/scene.job.json", """
            { "prompt": "character1 waves", "references": [ { "url": "https://example.com/a.mp4" } ], "duration": 5 }
            """);
        var starter = world.Host.Services.GetRequiredService<BlobJobStarter>();

        var first = await starter.StartAsync(manifest, world.Host.Client, CancellationToken.None);
        var redelivered = await starter.StartAsync(manifest, world.Host.Client, CancellationToken.None);

        Assert.NotNull(first);
        Assert.True(first.Started);
        Assert.Equal(first.JobId, redelivered!.JobId);
        Assert.True(redelivered.AlreadyExisted);
        var done = await world.WaitForFinishAsync(first.JobId!);
        Assert.Equal("Succeeded", (string)done["status"]!);
        Assert.Equal(1, world.CountRequests("POST", p => p.EndsWith("/video-synthesis", StringComparison.Ordinal)));

        var receipt = await ReadReceiptAsync(starter, manifest);
        Assert.Equal(first.JobId, (string)receipt["jobId"]!);
    }

    [Fact]
    public async Task An_invalid_manifest_starts_nothing_and_leaves_a_receipt_with_every_error()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);
        var manifest = await UploadAsync(world, $"{Guid.NewGuid():N}/bad.job.json", """
            { "prompt": "character1 and character2", "references": [ { "url": "https://example.com/a.mp4" } ], "duration": 42 }
            """);
        var starter = world.Host.Services.GetRequiredService<BlobJobStarter>();

        var outcome = await starter.StartAsync(manifest, world.Host.Client, CancellationToken.None);

        Assert.NotNull(outcome);
        Assert.False(outcome.Started);
        var errors = (await ReadReceiptAsync(starter, manifest))["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("prompt"));
        Assert.True(errors.ContainsKey("duration"));
        Assert.Equal(0, world.CountRequests("POST", p => p.EndsWith("/video-synthesis", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_reference_with_a_prompt_in_its_metadata_is_a_one_character_job_sent_as_a_sas_url()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);
        var reference = await UploadAsync(world, $"{Guid.NewGuid():N}/presenter.mp4", "not really a video",
            new Dictionary<string, string> { ["prompt"] = Uri.EscapeDataString("character1 présente le produit"), ["duration"] = "3" });
        var starter = world.Host.Services.GetRequiredService<BlobJobStarter>();

        var outcome = await starter.StartAsync(reference, world.Host.Client, CancellationToken.None);

        Assert.True(outcome!.Started);
        Assert.Equal("Succeeded", (string)(await world.WaitForFinishAsync(outcome.JobId!))["status"]!);
        var body = JsonNode.Parse(world.Simulator.Requests.Single(r => r.Path.EndsWith("/video-synthesis", StringComparison.Ordinal)).Body)!.AsObject();
        Assert.Equal("character1 présente le produit", (string)body["input"]!["prompt"]!);
        Assert.Equal(3, (int)body["parameters"]!["duration"]!);
        var url = (string)body["input"]!["reference_urls"]![0]!;
        Assert.Contains(reference.Name, Uri.UnescapeDataString(url));
        Assert.Contains("sig=", url);
    }

    [Fact]
    public async Task A_plain_reference_without_a_prompt_starts_nothing()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);
        var reference = await UploadAsync(world, $"{Guid.NewGuid():N}/guitar.png", "png");

        var outcome = await world.Host.Services.GetRequiredService<BlobJobStarter>()
            .StartAsync(reference, world.Host.Client, CancellationToken.None);

        Assert.Null(outcome);
        Assert.Empty(world.Simulator.Requests);
    }

    [Fact]
    public async Task An_empty_manifest_starts_nothing_and_writes_no_receipt_and_its_content_then_starts_one_job()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);
        var name = $"{Guid.NewGuid():N}/scene.job.json";
        var manifest = await UploadAsync(world, name, "");
        var starter = world.Host.Services.GetRequiredService<BlobJobStarter>();

        var empty = await starter.StartAsync(manifest, world.Host.Client, CancellationToken.None);

        Assert.Null(empty);
        Assert.False(await starter.ReceiptFor(manifest.BlobContainerName, manifest.Name).ExistsAsync());
        Assert.Empty(world.Simulator.Requests);

        // The writer's second event, once the content is there.
        await UploadAsync(world, name, """
            { "prompt": "character1 waves", "references": [ { "url": "https://example.com/a.mp4" } ], "duration": 5 }
            """);
        var written = await starter.StartAsync(manifest, world.Host.Client, CancellationToken.None);

        Assert.True(written!.Started);
        Assert.Equal(written.JobId, (string)(await ReadReceiptAsync(starter, manifest))["jobId"]!);
    }

    [Fact]
    public async Task An_empty_reference_with_a_prompt_starts_nothing_and_writes_no_receipt()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);
        var reference = await UploadAsync(world, $"{Guid.NewGuid():N}/presenter.mp4", "",
            new Dictionary<string, string> { ["prompt"] = "character1 waves" });
        var starter = world.Host.Services.GetRequiredService<BlobJobStarter>();

        var outcome = await starter.StartAsync(reference, world.Host.Client, CancellationToken.None);

        Assert.Null(outcome);
        Assert.False(await starter.ReceiptFor(reference.BlobContainerName, reference.Name).ExistsAsync());
        Assert.Empty(world.Simulator.Requests);
    }

    private static async Task<BlobClient> UploadAsync(WorkflowHarness world, string name, string content, IDictionary<string, string>? metadata = null)
    {
        var container = world.Blobs.GetBlobContainerClient("references");
        await container.CreateIfNotExistsAsync();
        var blob = container.GetBlobClient(name);
        await blob.UploadAsync(new BinaryData(Encoding.UTF8.GetBytes(content)), new BlobUploadOptions { Metadata = metadata });
        return blob;
    }

    private static async Task<JsonObject> ReadReceiptAsync(BlobJobStarter starter, BlobClient source)
    {
        BlobDownloadResult receipt = await starter.ReceiptFor(source.BlobContainerName, source.Name).DownloadContentAsync();
        return JsonNode.Parse(receipt.Content.ToString())!.AsObject();
    }
}
