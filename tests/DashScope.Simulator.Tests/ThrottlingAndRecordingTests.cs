using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DashScope.Simulator.Tests;

public class ThrottlingTests
{
    [Fact]
    public async Task Submit_beyond_the_concurrency_limit_is_429_AllocationQuota_until_a_task_finishes()
    {
        await using var sim = await Sim.StartAsync(o =>
        {
            o.MaxConcurrentTasks = 2;
            o.RetryAfterSeconds = 3;
        });
        var first = await sim.SubmitOkAsync("a");
        await sim.SubmitOkAsync("b");

        using (var refused = await sim.SubmitAsync(Sim.Body("c")))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Equal("Throttling.AllocationQuota", (string?)(await Sim.ReadJsonAsync(refused))["code"]);
            Assert.Equal(TimeSpan.FromSeconds(3), refused.Headers.RetryAfter?.Delta);
        }

        // A canceled task frees its slot immediately.
        using (var cancel = await sim.Http.PostAsync($"api/v1/tasks/{first}/cancel", null))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        }

        await sim.SubmitOkAsync("c");

        using (var again = await sim.SubmitAsync(Sim.Body("d")))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, again.StatusCode);
        }

        sim.Advance(30); // both active tasks finish
        await sim.SubmitOkAsync("d");
        await sim.SubmitOkAsync("e");
    }

    [Fact]
    public async Task The_peak_of_tasks_running_at_once_counts_accepted_tasks_until_they_end()
    {
        await using var sim = await Sim.StartAsync(o => o.MaxConcurrentTasks = 3);
        var store = sim.Host.Services.GetRequiredService<TaskStore>();
        Assert.Equal(0, store.PeakActive);

        await sim.SubmitOkAsync("a");
        await sim.SubmitOkAsync("b");
        Assert.Equal(2, store.PeakActive);

        sim.Advance(1000); // both end
        await sim.SubmitOkAsync("c");
        Assert.Equal(2, store.PeakActive);

        await sim.SubmitOkAsync("d");
        await sim.SubmitOkAsync("e");
        using (var refused = await sim.SubmitAsync(Sim.Body("f")))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        }

        Assert.Equal(3, store.PeakActive);
        Assert.Equal(3, sim.Host.PeakActiveTasks);
    }

    [Fact]
    public async Task Default_limit_is_five_concurrent_tasks()
    {
        await using var sim = await Sim.StartAsync();
        for (var i = 0; i < 5; i++)
        {
            await sim.SubmitOkAsync($"t{i}");
        }

        using var refused = await sim.SubmitAsync(Sim.Body("t5"));
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("1", refused.Headers.GetValues("Retry-After").Single());
    }
}

public class RecordingTests
{
    [Fact]
    public async Task Requests_are_recorded_with_bodies_and_redacted_authorization()
    {
        await using var sim = await Sim.StartAsync();
        var body = Sim.Body("record me");
        var id = await sim.SubmitOkAsync(body);
        await sim.QueryAsync(id);

        var requests = sim.Host.Requests;
        Assert.Equal(2, requests.Count);
        var submit = requests[0];
        Assert.Equal("POST", submit.Method);
        Assert.Equal("/" + Sim.SubmitPath, submit.Path);
        Assert.Equal("enable", submit.Header("X-DashScope-Async"));
        Assert.Equal("Bearer ***", submit.Header("authorization"));
        Assert.Equal(200, submit.StatusCode);
        Assert.Equal("record me", (string?)JsonNode.Parse(submit.Body)!["input"]!["prompt"]);
        Assert.Equal("GET", requests[1].Method);
        Assert.Equal($"/api/v1/tasks/{id}", requests[1].Path);
        Assert.Equal("", requests[1].Body);
        Assert.DoesNotContain(requests.SelectMany(r => r.Headers.Values), v => v.Contains(sim.Host.ApiKey));

        sim.Host.ClearRequests();
        Assert.Empty(sim.Host.Requests);
    }

    [Fact]
    public async Task Failed_requests_are_recorded_with_their_status()
    {
        await using var sim = await Sim.StartAsync();
        using (await sim.SubmitRawAsync("{broken")) { }
        var recorded = Assert.Single(sim.Host.Requests);
        Assert.Equal(400, recorded.StatusCode);
        Assert.Equal("{broken", recorded.Body);
    }

    [Fact]
    public async Task Recorded_requests_are_exposed_and_cleared_over_http()
    {
        await using var sim = await Sim.StartAsync();
        await sim.SubmitOkAsync("over http");

        var list = JsonNode.Parse(await sim.Http.GetStringAsync("_sim/requests"))!.AsArray();
        var only = Assert.Single(list); // the /_sim call itself is not recorded
        Assert.Equal("POST", (string?)only!["method"]);
        Assert.Contains("over http", (string?)only["body"]);
        Assert.Equal("Bearer ***", (string?)only["headers"]!["Authorization"]);

        using var cleared = await sim.Http.DeleteAsync("_sim/requests");
        Assert.Equal(HttpStatusCode.NoContent, cleared.StatusCode);
        Assert.Empty(JsonNode.Parse(await sim.Http.GetStringAsync("_sim/requests"))!.AsArray());
        Assert.Empty(sim.Host.Requests);
    }
}

public class HostAndOptionsTests
{
    [Fact]
    public async Task Hosts_bind_loopback_on_distinct_free_ports_with_the_default_key()
    {
        await using var a = await SimulatorHost.StartAsync();
        await using var b = await SimulatorHost.StartAsync();
        Assert.Equal("127.0.0.1", a.BaseUrl.Host);
        Assert.NotEqual(0, a.BaseUrl.Port);
        Assert.NotEqual(a.BaseUrl.Port, b.BaseUrl.Port);
        Assert.Equal("sim-key", a.ApiKey);
    }

    [Fact]
    public async Task Caller_options_are_copied_so_later_changes_have_no_effect()
    {
        var options = new SimulatorOptions { ApiKey = "k1" };
        await using var host = await SimulatorHost.StartAsync(options);
        options.ApiKey = "k2";
        Assert.Equal("k1", host.ApiKey);
    }

    [Theory]
    [InlineData("speed")]
    [InlineData("limit")]
    [InlineData("size")]
    [InlineData("markers")]
    [InlineData("key")]
    public async Task Invalid_options_fail_at_start_up(string defect)
    {
        var options = new SimulatorOptions();
        switch (defect)
        {
            case "speed": options.SpeedFactor = 0; break;
            case "limit": options.MaxConcurrentTasks = 0; break;
            case "size": options.VideoSizeBytes = 10; break;
            case "markers": options.DefaultMarkers = "[sim:nonsense]"; break;
            case "key": options.ApiKey = ""; break;
        }
        await Assert.ThrowsAsync<OptionsValidationException>(() => SimulatorHost.StartAsync(options));
    }

    [Fact]
    public void Options_bind_from_the_Simulator_configuration_section()
    {
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Simulator:ApiKey"] = "from-config",
                ["Simulator:Region"] = "Global",
                ["Simulator:SpeedFactor"] = "0.01",
                ["Simulator:VideoUrlTtl"] = "00:05:00",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddDashScopeSimulator(config);
        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<SimulatorOptions>();
        Assert.Equal("from-config", options.ApiKey);
        Assert.Equal(SimulatorRegion.Global, options.Region);
        Assert.Equal(0.01, options.SpeedFactor);
        Assert.Equal(TimeSpan.FromMinutes(5), options.VideoUrlTtl);
    }
}
