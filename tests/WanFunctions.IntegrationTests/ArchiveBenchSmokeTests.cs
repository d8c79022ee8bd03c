using System.Text.Json.Nodes;
using WanFunctions.Bench;
using WanFunctions.Storage;

namespace WanFunctions.IntegrationTests;

/// <summary>
/// The bench's archive scenario, run small so it keeps working: the figures come out and land in the JSON file next to
/// other scenarios' keys. No speed or memory target here; those stay in the bench (tests/bench.sh).
/// </summary>
[Collection(IntegrationCollection.Name)]
public sealed class ArchiveBenchSmokeTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task The_archive_scenario_runs_on_a_small_video_and_writes_its_json_keys()
    {
        var file = Path.Combine(Path.GetTempPath(), $"bench-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, """{"batch": {"jobs": 100}}""");
        try
        {
            var figures = await ArchiveBench.RunAsync(new BenchOptions { VideoMib = 2, Iterations = 1 }, azurite.ConnectionString, new Report());
            await Report.MergeJsonAsync(file, "archive", figures.ToJson());

            Assert.Equal(ArchiveMethods.Streamed, figures.Method);
            var json = JsonNode.Parse(await File.ReadAllTextAsync(file))!;
            var archive = json["archive"]!;
            foreach (var key in new[] { "streamed_mib_s", "raw_copy_mib_s", "ratio_to_raw", "alloc_mib_max" })
            {
                Assert.True((double)archive[key]! > 0, $"archive.{key} is {archive[key]}");
            }

            Assert.Equal(2, (int)archive["video_mib"]!);
            Assert.Equal(100, (int)json["batch"]!["jobs"]!);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
