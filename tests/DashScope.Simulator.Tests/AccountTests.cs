using System.Net;
using System.Net.Http.Headers;

namespace DashScope.Simulator.Tests;

/// <summary>Several API keys: each its own concurrency limit and its own tasks; the request log names the account, never the key.</summary>
public class AccountTests
{
    private const string SecondKey = "sim-key-second";

    private static Task<Sim> StartAsync() => Sim.StartAsync(o =>
    {
        o.MaxConcurrentTasks = 1;
        o.Accounts = [new SimulatorAccount { Name = "second", ApiKey = SecondKey, MaxConcurrentTasks = 2 }];
    });

    private static HttpRequestMessage AsSecond(HttpMethod method, string path, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", SecondKey);
        request.Headers.Add("X-DashScope-Async", "enable");
        return request;
    }

    private static async Task<HttpResponseMessage> SubmitAsSecondAsync(Sim sim, string prompt) =>
        await sim.Http.SendAsync(AsSecond(HttpMethod.Post, Sim.SubmitPath,
            new StringContent(Sim.Body(prompt).ToJsonString(), System.Text.Encoding.UTF8, "application/json")));

    [Fact]
    public async Task Each_key_has_its_own_concurrency_limit()
    {
        await using var sim = await StartAsync();

        await sim.SubmitOkAsync("a");
        using (var full = await sim.SubmitAsync(Sim.Body("b")))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, full.StatusCode);
        }

        using var first = await SubmitAsSecondAsync(sim, "c");
        using var second = await SubmitAsSecondAsync(sim, "d");
        using var third = await SubmitAsSecondAsync(sim, "e");

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], [first.StatusCode, second.StatusCode, third.StatusCode]);
        Assert.Equal(1, sim.Host.PeakActiveTasksOf("default"));
        Assert.Equal(2, sim.Host.PeakActiveTasksOf("second"));
    }

    [Fact]
    public async Task A_task_is_visible_only_to_the_key_that_created_it_as_the_provider_answers_for_an_unknown_id()
    {
        await using var sim = await StartAsync();
        var taskId = await sim.SubmitOkAsync("mine");

        using var query = await sim.Http.SendAsync(AsSecond(HttpMethod.Get, $"api/v1/tasks/{taskId}"));
        using var cancel = await sim.Http.SendAsync(AsSecond(HttpMethod.Post, $"api/v1/tasks/{taskId}/cancel"));
        using var list = await sim.Http.SendAsync(AsSecond(HttpMethod.Get, "api/v1/tasks?page_size=100"));

        Assert.Equal(HttpStatusCode.OK, query.StatusCode);
        Assert.Equal("UNKNOWN", (string?)(await Sim.ReadJsonAsync(query))["output"]!["task_status"]);
        Assert.Equal(HttpStatusCode.BadRequest, cancel.StatusCode);
        Assert.Equal("UnsupportedOperation", (string?)(await Sim.ReadJsonAsync(cancel))["code"]);
        Assert.Equal(0, (int)(await Sim.ReadJsonAsync(list))["total"]!);
        using var own = await sim.Http.GetAsync($"api/v1/tasks/{taskId}");
        Assert.Equal("PENDING", (string?)(await Sim.ReadJsonAsync(own))["output"]!["task_status"]);
    }

    [Fact]
    public async Task The_request_log_names_the_account_of_each_call_never_its_key()
    {
        await using var sim = await StartAsync();
        await sim.SubmitOkAsync("mine");
        using (await SubmitAsSecondAsync(sim, "theirs"))
        {
        }

        using (var unknown = new HttpRequestMessage(HttpMethod.Get, "api/v1/tasks/x"))
        {
            unknown.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-key");
            using (await sim.Http.SendAsync(unknown))
            {
            }
        }

        Assert.Equal(["default", "second", null], sim.Host.Requests.Select(r => r.Account));
        Assert.DoesNotContain(sim.Host.Requests, r => r.Header("Authorization")!.Contains(SecondKey, StringComparison.Ordinal));
    }
}
