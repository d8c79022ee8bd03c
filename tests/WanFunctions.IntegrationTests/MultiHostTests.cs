using System.Net.Http.Json;
using System.Text.Json.Nodes;
using DashScope.Simulator;

namespace WanFunctions.IntegrationTests;

/// <summary>Two local hosts on one task hub (Azure Storage backend, 4 partitions): both take work, and a kill -9 of one stalls nothing.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class MultiHostTests(AzuriteFixture azurite)
{
    private const string SubmitPath = "/api/v1/services/aigc/video-generation/video-synthesis";
    private const int Jobs = 12;

    [Fact]
    public async Task Two_hosts_on_one_task_hub_share_the_jobs_and_the_survivor_of_a_kill_finishes_them_all_each_submitted_once()
    {
        // 4 partitions so both workers own some; the shortest blob lease (15 s) so the survivor takes the dead
        // worker's partitions soon (renew and acquire every 5 s). Whole-second poll timers.
        await using var world = await WorkflowHarness.StartAsync(azurite,
            new SimulatorOptions { PendingSeconds = 2, RunningSeconds = 10, MaxConcurrentTasks = Jobs },
            new Dictionary<string, string?>
            {
                ["Gate:Enabled"] = "false",
                ["Workflow:FirstPollDelay"] = "00:00:02",
                ["Workflow:PollInterval"] = "00:00:02",
                ["Workflow:MaxPollInterval"] = "00:00:02",
                ["Workflow:RetryInterval"] = "00:00:01",
                ["DurableTask:PartitionCount"] = "4",
                ["DurableTask:LeaseInterval"] = "00:00:15",
                ["DurableTask:MaxQueuePollingInterval"] = "00:00:01",
                // The activities' own log lines (job submitted, video archived) tell which host ran them.
                ["Logging:LogLevel:WanFunctions"] = "Information",
            },
            startHost: false);
        var a = await world.StartPeerHostProcessAsync(new Dictionary<string, string?> { ["DurableTask:WorkerId"] = "host-a" });
        var b = await world.StartPeerHostProcessAsync(new Dictionary<string, string?> { ["DurableTask:WorkerId"] = "host-b" });
        await WaitUntilAsync(async () => (await PartitionOwnersAsync(world)) is { } owners
            && owners.Contains("host-a") && owners.Contains("host-b"), TimeSpan.FromSeconds(60), "both hosts own partitions");

        var ids = new List<string>();
        for (var i = 0; i < Jobs; i++)
        {
            // Half through each host's API: either host's client starts jobs on the shared hub.
            var response = await (i % 2 == 0 ? a : b).Api.PostAsJsonAsync("api/videos", new
            {
                prompt = $"character1 crosses the bridge, take {i}",
                references = new[] { new { url = "https://example.com/people/alice.png" } },
                duration = 5,
            });
            Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
            ids.Add((string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!);
        }

        // Every job submitted (RUNNING for 10 s more): both hosts ran submit activities.
        await WaitUntilAsync(() => Task.FromResult(world.CountRequests("POST", p => p == SubmitPath) >= Jobs),
            TimeSpan.FromSeconds(60), $"{Jobs} submits");
        await WaitUntilAsync(() => Task.FromResult(Submitted(a).Count + Submitted(b).Count >= Jobs), TimeSpan.FromSeconds(10), "the submit log lines");
        Assert.NotEmpty(Submitted(a));
        Assert.NotEmpty(Submitted(b));
        // Orchestrations run where their partition is owned: host-b runs some (12 jobs over 4 partitions, 2 of them its own).
        // Its orchestrator logs a job's task when it replays the submit's result, which may come after the activities' lines.
        await WaitUntilAsync(() => Task.FromResult(LogLines(b, " submitted as provider task ").Count > 0), TimeSpan.FromSeconds(30),
            "host-b's orchestrations to see their submits");
        var orphaned = LogLines(b, " submitted as provider task ");
        Assert.NotEmpty(orphaned);

        b.Kill();

        // The survivor finishes every job: its own, and host-b's once their partitions' leases expire.
        foreach (var id in ids)
        {
            var done = await GetStatusWhenDoneAsync(a.Api, id, TimeSpan.FromSeconds(120));
            Assert.Equal("Succeeded", (string)done["status"]!);
        }

        Assert.Equal(Jobs, world.CountRequests("POST", p => p == SubmitPath));
        Assert.Equal(["host-a"], await PartitionOwnersAsync(world)); // the dead host's partitions were taken over
        Assert.All(orphaned, line => Assert.Contains(LogLines(a, " archived task "), archived => ids.Any(id => line.Contains(id) && archived.Contains(id))));
        Assert.Equal(Jobs, world.CountRequests("GET", p => p.StartsWith("/results/", StringComparison.Ordinal)));
    }

    /// <summary>The submit activity's "Job {JobId} submitted as task" lines a host logged.</summary>
    private static List<string> Submitted(WorkflowHarness.HostProcess host) => LogLines(host, " submitted as task ");

    private static List<string> LogLines(WorkflowHarness.HostProcess host, string text) =>
        host.Output.Where(line => line.Contains(text, StringComparison.Ordinal)).ToList();

    /// <summary>
    /// Owners of the task hub's partitions: the Azure Storage backend's partition manager keeps one row per control
    /// queue in the <c>{hub}Partitions</c> table, <c>CurrentOwner</c> naming the worker id. Empty before the table exists.
    /// </summary>
    private static async Task<HashSet<string>> PartitionOwnersAsync(WorkflowHarness world)
    {
        var table = new Azure.Data.Tables.TableClient(world.StorageConnectionString, world.TaskHub + "Partitions");
        var owners = new HashSet<string>();
        try
        {
            await foreach (var row in table.QueryAsync<Azure.Data.Tables.TableEntity>())
            {
                if (row.GetString("CurrentOwner") is { Length: > 0 } owner)
                {
                    owners.Add(owner);
                }
            }
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == 404)
        {
            // the backend has not made its table yet
        }

        return owners;
    }

    private static async Task<JsonObject> GetStatusWhenDoneAsync(HttpClient api, string id, TimeSpan timeout)
    {
        JsonObject status = [];
        await WaitUntilAsync(async () =>
        {
            status = JsonNode.Parse(await api.GetStringAsync($"api/videos/{id}"))!.AsObject();
            return (string)status["status"]! is not ("Pending" or "Running");
        }, timeout, $"job {id} done");
        return status;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var until = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"Not reached within {timeout.TotalSeconds:0} s: {what}.");
            }

            await Task.Delay(250);
        }
    }

    [Fact]
    public async Task A_host_process_with_an_invalid_setting_exits_with_code_1_not_a_crash()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite, startHost: false);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            world.StartPeerHostProcessAsync(new Dictionary<string, string?> { ["LocalHost:ApiKeys:0"] = "short" }));

        // Exit code 1 from the host's own check, where an unhandled exception aborted it (134) before.
        Assert.Contains("exited with code 1.", refused.Message, StringComparison.Ordinal);
    }
}
