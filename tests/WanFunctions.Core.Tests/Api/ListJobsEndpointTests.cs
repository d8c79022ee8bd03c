using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Moq;
using WanFunctions.Api;
using WanFunctions.Workflow;
using static WanFunctions.Core.Tests.Api.ApiTestKit;

namespace WanFunctions.Core.Tests.Api;

/// <summary>GET /api/videos.</summary>
public sealed class ListJobsEndpointTests
{
    [Fact]
    public async Task Lists_one_page_with_the_job_status_and_passes_the_filter_and_token_on()
    {
        var client = Client();
        OrchestrationQuery? query = null;
        (string? Token, int? Size) asked = default;
        var done = Instance("job-1", OrchestrationRuntimeStatus.Completed,
            output: new JobResult(JobOutcome.Canceled, "t", null, null, new JobTimings(Now.UtcDateTime, null, Now.UtcDateTime, 0)));
        client.Setup(c => c.GetAllInstancesAsync(It.IsAny<OrchestrationQuery?>()))
            .Callback((OrchestrationQuery? q) => query = q)
            .Returns(Pageable.Create((string? token, int? size, CancellationToken _) =>
            {
                asked = (token, size);
                return Task.FromResult(new Page<OrchestrationMetadata>([done], "next-page"));
            }));
        var http = HttpContext();
        http.Request.QueryString = new QueryString($"?status=completed,failed&pageSize=20&continuationToken={PageToken.Encode("abc")}");

        var answer = await (await Endpoints().ListAsync(http.Request, client.Object, default)).RunAsync(http);

        Assert.Equal(200, answer.Status);
        Assert.Equal([OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed], query!.Statuses);
        Assert.Equal(("abc", 20), asked);
        var item = Assert.Single(answer.Json.GetProperty("items").EnumerateArray());
        Assert.Equal("job-1", item.GetProperty("id").GetString());
        Assert.Equal("Canceled", item.GetProperty("status").GetString());
        Assert.Equal($"{BaseUri}/job-1", item.GetProperty("statusUri").GetString());
        var next = answer.Json.GetProperty("continuationToken").GetString()!;
        Assert.True(PageToken.TryDecode(next, out var backendToken));
        Assert.Equal("next-page", backendToken);
    }

    [Fact]
    public async Task The_last_page_has_no_continuation_token()
    {
        var client = Client();
        client.Setup(c => c.GetAllInstancesAsync(It.IsAny<OrchestrationQuery?>()))
            .Returns(Pageable.Create((string? _, int? _, CancellationToken _) => Task.FromResult(new Page<OrchestrationMetadata>([], null))));
        var http = HttpContext();

        var answer = await (await Endpoints().ListAsync(http.Request, client.Object, default)).RunAsync(http);

        Assert.Equal(200, answer.Status);
        Assert.False(answer.Json.TryGetProperty("continuationToken", out _)); // absent, as documented
    }

    [Theory]
    [InlineData("?status=Sleeping", "status")]
    [InlineData("?pageSize=0", "pageSize")]
    [InlineData("?pageSize=many", "pageSize")]
    [InlineData("?continuationToken=abc", "continuationToken")] // the backend's own form, not one this API returned
    [InlineData("?continuationToken=%25%25", "continuationToken")]
    [InlineData("?continuationToken=d2FuMTo", "continuationToken")] // "wan1:" with nothing after it
    [InlineData("?continuationToken=_w", "continuationToken")] // not UTF-8
    public async Task A_bad_filter_is_a_400_problem_and_queries_nothing(string query, string field)
    {
        var client = Client();
        var http = HttpContext();
        http.Request.QueryString = new QueryString(query);

        var answer = await (await Endpoints().ListAsync(http.Request, client.Object, default)).RunAsync(http);

        Assert.Equal(400, answer.Status);
        Assert.True(answer.Json.GetProperty("errors").TryGetProperty(field, out _));
        client.Verify(c => c.GetAllInstancesAsync(It.IsAny<OrchestrationQuery?>()), Times.Never);
    }
}
