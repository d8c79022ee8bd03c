using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Moq;
using static WanFunctions.Core.Tests.Api.ApiTestKit;

namespace WanFunctions.Core.Tests.Api;

/// <summary>POST /api/videos takes JSON only: anything else is a 415 before the body is read.</summary>
public sealed class MediaTypeTests
{
    private static async Task<ExecutedResult> PostAsync(Mock<DurableTaskClient> client, string body, string? contentType, long? contentLength = null)
    {
        var http = HttpContext(body);
        http.Request.ContentType = contentType;
        http.Request.ContentLength = contentLength;
        return await (await Endpoints().StartAsync(http.Request, client.Object, default)).RunAsync(http);
    }

    private static void AssertNothingScheduled(Mock<DurableTaskClient> client) =>
        client.Verify(c => c.ScheduleNewOrchestrationInstanceAsync(
            It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<StartOrchestrationOptions?>(), It.IsAny<CancellationToken>()), Times.Never);

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON;charset=UTF-8")]
    [InlineData("application/json; charset=iso-8859-1")] // RFC 8259 defines no charset: it is ignored
    [InlineData("application/vnd.wanfunctions.job+json")]
    [InlineData("application/merge-patch+json; charset=utf-8")]
    public async Task Json_media_types_are_accepted_whatever_their_parameters(string contentType)
    {
        var answer = await PostAsync(Client(), ValidJob, contentType);

        Assert.Equal(202, answer.Status);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("text/plain; charset=utf-8")]
    [InlineData("text/json")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=xyz")]
    [InlineData("application/jsonp")]
    [InlineData("application/xml")]
    [InlineData("json")]
    [InlineData("not a media type")]
    public async Task Other_media_types_are_a_415_problem_and_start_nothing(string contentType)
    {
        var client = Client();

        var answer = await PostAsync(client, ValidJob, contentType);

        Assert.Equal(415, answer.Status);
        Assert.StartsWith("application/problem+json", answer.ContentType);
        Assert.Contains("application/json", answer.Json.GetProperty("detail").GetString());
        AssertNothingScheduled(client);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(118L)]
    public async Task A_body_without_a_content_type_is_a_415(long? contentLength)
    {
        var client = Client();

        var answer = await PostAsync(client, ValidJob, contentType: null, contentLength);

        Assert.Equal(415, answer.Status);
        Assert.Contains("no Content-Type", answer.Json.GetProperty("detail").GetString());
        AssertNothingScheduled(client);
    }

    [Fact]
    public async Task An_empty_request_without_a_content_type_is_a_400_for_the_missing_job()
    {
        var client = Client();

        var answer = await PostAsync(client, "", contentType: null, contentLength: 0);

        Assert.Equal(400, answer.Status);
        Assert.True(answer.Json.GetProperty("errors").TryGetProperty("body", out _));
        AssertNothingScheduled(client);
    }

    [Fact]
    public async Task A_long_content_type_is_echoed_cut_short()
    {
        var answer = await PostAsync(Client(), ValidJob, "text/" + new string('x', 500));

        Assert.Equal(415, answer.Status);
        Assert.True(answer.Json.GetProperty("detail").GetString()!.Length < 300);
    }
}
