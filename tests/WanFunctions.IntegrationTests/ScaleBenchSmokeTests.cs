using System.Text.Json.Nodes;
using WanFunctions.Bench;

namespace WanFunctions.IntegrationTests;

/// <summary>One small run of the bench's scale scenario (tests/bench.sh --only scale): it still works. No speed or memory asserts.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class ScaleBenchSmokeTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task The_scale_scenario_runs_20_jobs_to_archived_and_writes_its_json_keys_beside_the_others()
    {
        var json = Path.Combine(Path.GetTempPath(), $"bench-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(json, """{"batch": {"jobs": 100}}""");
        try
        {
            var options = new BenchOptions { ScaleJobs = 20, ScaleWindowSeconds = 3, ScaleFirstPollSeconds = 40, JsonFile = json };

            var figures = await ScaleBench.RunAsync(options, azurite.ConnectionString, new Report());
            await ScaleBench.WriteJsonAsync(json, figures);

            Assert.Equal(20, figures.Jobs);
            Assert.Equal(20, figures.Succeeded);
            var root = JsonNode.Parse(await File.ReadAllTextAsync(json))!.AsObject();
            Assert.Equal(100, (int)root["batch"]!["jobs"]!);
            var scale = root["scale"]!.AsObject();
            Assert.Equal(["jobs", "cpu_pct_one_core_waiting", "ws_mib_waiting", "completions_per_s"], scale.Select(p => p.Key));
            Assert.Equal(20, (int)scale["jobs"]!);
            Assert.True((double)scale["ws_mib_waiting"]! > 0);
        }
        finally
        {
            File.Delete(json);
        }
    }
}
