using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using DashScope.Simulator;

namespace WanFunctions.IntegrationTests;

/// <summary>The capacity gate on the real engine: a batch within the provider's quota, cancel while queued, leases, kill -9.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class CapacityGateTests(AzuriteFixture azurite)
{
    private const string SubmitPath = "/api/v1/services/aigc/video-generation/video-synthesis";

    /// <summary>Whole-second schedules (Azure Storage timers fire up to ~1 s early).</summary>
    private static Dictionary<string, string?> Settings(int slots, params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["DashScope:MaxConcurrentTasks"] = slots.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Workflow:FirstPollDelay"] = "00:00:01",
            ["Workflow:PollInterval"] = "00:00:01",
            ["Workflow:MaxPollInterval"] = "00:00:01",
            ["Workflow:RetryInterval"] = "00:00:01",
            ["Workflow:PollDeadline"] = "00:05:00",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    private static object Job(string prompt) => new
    {
        prompt,
        references = new[] { new { url = "https://example.com/people/alice.mp4" } },
        duration = 5,
    };

    private static int SubmitsOf(WorkflowHarness world, string prompt) =>
        world.Simulator.Requests.Count(r => r.Method == "POST" && r.Path == SubmitPath && r.Body.Contains(JsonSerializer.Serialize(prompt)[1..^1], StringComparison.Ordinal));

    private static async Task<JsonObject> GateAsync(WorkflowHarness world)
    {
        using var response = await world.Api.GetAsync("api/gate");
        response.EnsureSuccessStatusCode();
        var accounts = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["accounts"]!.AsArray();
        return Assert.Single(accounts)!.AsObject();
    }

    [Fact]
    public async Task Thirty_jobs_against_a_three_slot_provider_never_run_more_than_three_tasks_at_once_and_all_are_archived()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite,
            new SimulatorOptions { PendingSeconds = 1, RunningSeconds = 1, MaxConcurrentTasks = 3 }, Settings(3));

        var ids = await Task.WhenAll(Enumerable.Range(1, 30).Select(async i =>
        {
            var (response, accepted) = await world.PostJobAsync(Job($"character1 dances, take {i}"));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            return (string)accepted["id"]!;
        }));

        foreach (var id in ids)
        {
            var done = await world.WaitForFinishAsync(id, TimeSpan.FromSeconds(180));
            Assert.Equal("Succeeded", (string)done["status"]!);
        }

        Assert.InRange(world.Simulator.PeakActiveTasks, 1, 3);
        Assert.Equal(30, world.CountRequests("POST", p => p == SubmitPath));
        Assert.DoesNotContain(world.Simulator.Requests, r => r.StatusCode == 429);
        var gate = await GateAsync(world);
        Assert.Empty(gate["holders"]!.AsArray());
        Assert.Empty(gate["queued"]!.AsArray());
        Assert.Equal(3, (int)gate["effectiveLimit"]!);
    }

    [Fact]
    public async Task Each_post_takes_its_slot_or_its_place_in_the_queue_before_it_is_answered_and_jobs_submit_in_post_order()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite,
            new SimulatorOptions { PendingSeconds = 1, RunningSeconds = 1 }, Settings(1));
        var prompts = Enumerable.Range(1, 4).Select(i => $"character1 waves, in line {i}").ToList();
        var ids = new List<string>();
        foreach (var prompt in prompts)
        {
            var (_, accepted) = await world.PostJobAsync(Job(prompt));
            ids.Add((string)accepted["id"]!);
        }

        // At the door: the first holds the slot, the others wait in POST order, before any orchestration has asked.
        var gate = await GateAsync(world);
        Assert.Equal(ids[0], (string)Assert.Single(gate["holders"]!.AsArray())!["jobId"]!);
        Assert.Equal(ids[1..], gate["queued"]!.AsArray().Select(w => (string)w!["jobId"]!));

        foreach (var id in ids)
        {
            Assert.Equal("Succeeded", (string)(await world.WaitForFinishAsync(id, TimeSpan.FromSeconds(60)))["status"]!);
        }

        var submitted = world.Simulator.Requests.Where(r => r.Method == "POST" && r.Path == SubmitPath).ToList();
        Assert.Equal(prompts, submitted.Select(r => prompts.Single(p => r.Body.Contains(p, StringComparison.Ordinal))));
        Assert.Equal(1, world.Simulator.PeakActiveTasks);
    }

    [Fact]
    public async Task A_job_canceled_while_queued_ends_Canceled_at_once_without_calling_the_provider()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite,
            new SimulatorOptions { PendingSeconds = 30, RunningSeconds = 1 }, Settings(1));
        var (_, first) = await world.PostJobAsync(Job("character1 holds the only slot"));
        var holder = (string)first["id"]!;
        await world.WaitForProgressAsync(holder, p => (string?)p["phase"] == "Polling");

        var (_, second) = await world.PostJobAsync(Job("character1 waits in line"));
        var queued = (string)second["id"]!;
        var waiting = await world.WaitForProgressAsync(queued, p => (string?)p["phase"] == "Queued");
        Assert.Equal(1, (int)waiting["progress"]!["queuePosition"]!);
        Assert.NotNull(waiting["progress"]!["estimatedStartAt"]);

        using (var cancel = await world.Api.PostAsync($"api/videos/{queued}/cancel", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        }

        var done = await world.WaitForFinishAsync(queued, TimeSpan.FromSeconds(20));
        Assert.Equal("Canceled", (string)done["status"]!);
        Assert.Equal("Canceled", (string)done["error"]!["code"]!);
        Assert.Contains("nothing was submitted", (string)done["error"]!["message"]!);
        Assert.Equal(0, SubmitsOf(world, "character1 waits in line"));

        // The holder is PENDING: a cancel ends it too, and the gate is empty again.
        using (await world.Api.PostAsync($"api/videos/{holder}/cancel", null))
        {
        }

        Assert.Equal("Canceled", (string)(await world.WaitForFinishAsync(holder, TimeSpan.FromSeconds(20)))["status"]!);
        var gate = await GateAsync(world);
        Assert.Empty(gate["holders"]!.AsArray());
        Assert.Empty(gate["queued"]!.AsArray());
    }

    [Fact]
    public async Task The_slot_of_a_terminated_job_is_reclaimed_within_the_lease_and_goes_to_the_next_job()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite,
            new SimulatorOptions { PendingSeconds = 1, RunningSeconds = 1 },
            Settings(1, ("Gate:LeaseDuration", "00:00:04"), ("Gate:MaxRecheckInterval", "00:00:02")));
        var (_, first) = await world.PostJobAsync(Job("character1 is terminated"));
        var gone = (string)first["id"]!;
        await world.WaitForProgressAsync(gone, p => (string?)p["phase"] == "Polling");
        await world.Host.Client.TerminateInstanceAsync(gone);

        var (_, second) = await world.PostJobAsync(Job("character1 gets the slot"));
        var next = (string)second["id"]!;
        var gate = await GateAsync(world);
        Assert.Equal(gone, (string)Assert.Single(gate["holders"]!.AsArray())!["jobId"]!);

        var done = await world.WaitForFinishAsync(next, TimeSpan.FromSeconds(60));
        Assert.Equal("Succeeded", (string)done["status"]!);
        Assert.Equal(1, SubmitsOf(world, "character1 gets the slot"));
        gate = await GateAsync(world);
        Assert.Empty(gate["holders"]!.AsArray());
        Assert.Empty(gate["queued"]!.AsArray());
    }

    [Fact]
    public async Task A_worker_killed_with_jobs_queued_and_running_completes_them_all_after_restart_each_submitted_once_no_slot_leaked()
    {
        await using var world = await WorkflowHarness.StartAsync(azurite,
            new SimulatorOptions { PendingSeconds = 2, RunningSeconds = 2, MaxConcurrentTasks = 2 }, Settings(2),
            startHost: false);
        await world.StartHostProcessAsync();
        var prompts = Enumerable.Range(1, 6).Select(i => $"character1 survives a crash, take {i}").ToArray();
        var ids = new List<string>();
        foreach (var prompt in prompts)
        {
            ids.Add((string)(await world.PostJobAsync(Job(prompt))).Body["id"]!);
        }

        await world.WaitForProgressAsync(ids[0], p => (string?)p["phase"] == "Polling");
        await world.WaitForProgressAsync(ids[^1], p => (string?)p["phase"] == "Queued");

        world.KillHostProcess();
        await world.StartHostProcessAsync();

        foreach (var id in ids)
        {
            var done = await world.WaitForFinishAsync(id, TimeSpan.FromSeconds(120));
            Assert.Equal("Succeeded", (string)done["status"]!);
        }

        Assert.All(prompts, prompt => Assert.Equal(1, SubmitsOf(world, prompt)));
        Assert.InRange(world.Simulator.PeakActiveTasks, 1, 2);
        Assert.DoesNotContain(world.Simulator.Requests, r => r.StatusCode == 429);
        var gate = await GateAsync(world);
        Assert.Empty(gate["holders"]!.AsArray());
        Assert.Empty(gate["queued"]!.AsArray());
    }
}
