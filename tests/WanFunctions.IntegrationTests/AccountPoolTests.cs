using System.Net;
using System.Text.Json.Nodes;
using DashScope.Simulator;
using Microsoft.Extensions.DependencyInjection;

namespace WanFunctions.IntegrationTests;

/// <summary>A pool of two accounts on the real engine: jobs spread over both, and each task is only ever used with its own key.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class AccountPoolTests(AzuriteFixture azurite)
{
    private const string SubmitPath = "/api/v1/services/aigc/video-generation/video-synthesis";
    private const string SecondKey = "sim-key-second";

    [Fact]
    public async Task Eight_jobs_on_two_accounts_of_two_slots_spread_over_both_each_task_used_only_with_the_key_that_created_it()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite,
            new SimulatorOptions
            {
                PendingSeconds = 1,
                RunningSeconds = 1,
                MaxConcurrentTasks = 2,
                Accounts = [new SimulatorAccount { Name = "second", ApiKey = SecondKey, MaxConcurrentTasks = 2 }],
            },
            new Dictionary<string, string?>
            {
                ["DashScope:MaxConcurrentTasks"] = "2",
                ["DashScope:Accounts:0:Name"] = "second",
                ["DashScope:Accounts:0:ApiKey"] = SecondKey,
                ["Workflow:FirstPollDelay"] = "00:00:01",
                ["Workflow:PollInterval"] = "00:00:01",
                ["Workflow:MaxPollInterval"] = "00:00:01",
                ["Workflow:RetryInterval"] = "00:00:01",
            });

        var ids = await Task.WhenAll(Enumerable.Range(1, 8).Select(async i =>
        {
            var (response, accepted) = await world.PostJobAsync(new
            {
                prompt = $"character1 takes the pool, take {i}",
                references = new[] { new { url = "https://example.com/people/alice.mp4" } },
            });
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            return (string)accepted["id"]!;
        }));

        foreach (var id in ids)
        {
            var done = await world.WaitForFinishAsync(id, TimeSpan.FromSeconds(120));
            Assert.Equal("Succeeded", (string)done["status"]!);
        }

        var requests = world.Simulator.Requests;
        Assert.DoesNotContain(requests, r => r.StatusCode == 429);
        var accepted = requests.Where(r => r.Method == "POST" && r.Path == SubmitPath && r.StatusCode == 200).GroupBy(r => r.Account)
            .ToDictionary(g => g.Key!, g => g.Count());
        Assert.Equal(8, accepted.Values.Sum());
        Assert.True(accepted.GetValueOrDefault("default") > 0 && accepted.GetValueOrDefault("second") > 0,
            $"submits per account: {string.Join(", ", accepted.Select(a => $"{a.Key}={a.Value}"))}");
        Assert.InRange(world.Simulator.PeakActiveTasksOf("default"), 1, 2);
        Assert.InRange(world.Simulator.PeakActiveTasksOf("second"), 1, 2);

        // Every query (polls and the archive's look-up) went with the key of the account that created the task.
        var owners = world.Simulator.Services.GetRequiredService<TaskStore>().All.ToDictionary(t => t.Id, t => t.Account);
        var queries = requests.Where(r => r.Method == "GET" && r.Path.StartsWith("/api/v1/tasks/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(queries);
        Assert.All(queries, q => Assert.Equal(owners[q.Path["/api/v1/tasks/".Length..]], q.Account));

        using var gate = await world.Api.GetAsync("api/gate");
        var accounts = JsonNode.Parse(await gate.Content.ReadAsStringAsync())!["accounts"]!.AsArray();
        Assert.Equal(["default", "second"], accounts.Select(a => (string)a!["account"]!));
        Assert.All(accounts, a => Assert.Empty(a!["holders"]!.AsArray()));
    }
}
