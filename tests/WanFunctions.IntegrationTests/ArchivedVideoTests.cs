using DashScope.Simulator;
using DashScope.Simulator.Tests;

namespace WanFunctions.IntegrationTests;

/// <summary>The archived file is the video the job asked for: its MP4 headers against the job's size, duration and audio.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class ArchivedVideoTests(AzuriteFixture azurite)
{
    [Theory]
    [InlineData("960*960", 3, false)]
    [InlineData("1280*720", 2, true)]
    public async Task The_archived_mp4_has_the_jobs_dimensions_duration_and_audio_track(string size, int duration, bool audio)
    {
        await using var world = await WorkflowHarness.StartAsync(azurite);
        var (accepted, body) = await world.PostJobAsync(new
        {
            model = "wan2.6-r2v-flash",
            prompt = "character1 plays the guitar",
            references = new[] { new { url = "https://example.com/a.png" } },
            size,
            duration,
            audio,
        });
        Assert.True(accepted.IsSuccessStatusCode, body.ToJsonString());

        var done = await world.WaitForFinishAsync((string)body["id"]!);

        Assert.Equal("Succeeded", (string)done["status"]!);
        var video = done["result"]!["video"]!;
        var blob = world.Blobs.GetBlobContainerClient(world.ArchiveContainer).GetBlobClient((string)video["blobName"]!);
        var mp4 = Mp4Info.Read((await blob.DownloadContentAsync()).Value.Content.ToArray());
        var (width, height) = TestPatternVideo.ParseSize(size);
        var track = mp4.Track("vide")!;
        Assert.Equal(((uint)width, (uint)height), (track.Width, track.Height));
        Assert.InRange(mp4.Seconds, duration - (1.0 / TestPatternVideo.FramesPerSecond), duration + (1.0 / TestPatternVideo.FramesPerSecond));
        Assert.InRange(track.Seconds, duration - (1.0 / TestPatternVideo.FramesPerSecond), duration + (1.0 / TestPatternVideo.FramesPerSecond));
        Assert.Equal(audio, mp4.Track("soun") is not null);
    }
}
