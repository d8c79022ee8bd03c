using System.Net;
using WanFunctions.DashScope;
using static WanFunctions.Core.Tests.DashScope.DashScopeTestContext;

namespace WanFunctions.Core.Tests.DashScope;

/// <summary>The API key, SAS tokens and signed video URLs must never reach an exception message or a log line.</summary>
public class DashScopeSecretsTests
{
    private const string SasQuery = "sv=2024-05-04&se=2025-12-17T00%3A00%3A00Z&sr=b&sp=r&sig=SUPERSECRETSIGNATURE%3D";
    private const string SasUrl = "https://acct.blob.core.windows.net/refs/job-1/a.mp4?" + SasQuery;
    private const string SignedVideoUrl = "https://dashscope-result-sh.oss-cn-shanghai.aliyuncs.com/1d/ab/video.mp4?Expires=1766&OSSAccessKeyId=LTAIKEY&Signature=VIDEOSIGNATURE";

    private static readonly string[] Secrets = [ApiKey, "SUPERSECRETSIGNATURE", "VIDEOSIGNATURE", "LTAIKEY", SasQuery];

    private static void AssertClean(string text)
    {
        foreach (var secret in Secrets)
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }

    private static string Describe(Exception ex)
    {
        var parts = new List<string>();
        for (var e = ex; e is not null; e = e.InnerException)
        {
            parts.Add(e.Message);
        }

        return string.Join("\n", parts) + "\n" + ex;
    }

    [Theory]
    [InlineData(400, "InvalidURL")]
    [InlineData(400, "InvalidParameter")]
    [InlineData(401, "InvalidApiKey")]
    [InlineData(500, "InternalError")]
    public async Task Provider_messages_echoing_urls_or_the_key_are_scrubbed(int status, string code)
    {
        var echo = $"Download failed for {SasUrl}; key {ApiKey} rejected; see oss://bucket/x?Signature=VIDEOSIGNATURE";
        var (client, _, logger) = Create(_ => FakeHandler.Json((HttpStatusCode)status,
            System.Text.Json.JsonSerializer.Serialize(new { code, message = echo, request_id = "r" })));

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => client.SubmitAsync(Request(SasUrl)));

        AssertClean(Describe(ex));
        AssertClean(logger.AllText);
        Assert.Contains("https://acct.blob.core.windows.net/refs/job-1/a.mp4?…", ex.ProviderMessage);
    }

    [Fact]
    public async Task Successful_calls_never_log_the_key_or_signed_urls()
    {
        var answers = new Queue<string>(
        [
            """{"output":{"task_status":"PENDING","task_id":"t-1"},"request_id":"r1"}""",
            $$$"""{"request_id":"r2","output":{"task_id":"t-1","task_status":"SUCCEEDED","video_url":"{{{SignedVideoUrl}}}"},"usage":{"duration":10}}""",
            $$$"""{"request_id":"r3","output":{"task_id":"t-1","task_status":"FAILED","code":"InvalidURL","message":"cannot read {{{SasUrl}}}"}}""",
            """{"request_id":"r4"}""",
            """{"total":0,"data":[]}""",
        ]);
        var (client, _, logger) = Create(_ => FakeHandler.Json(HttpStatusCode.OK, answers.Dequeue()));

        await client.SubmitAsync(Request(SasUrl));
        var succeeded = await client.GetTaskAsync("t-1");
        var failed = await client.GetTaskAsync("t-1");
        await client.CancelAsync("t-1");
        await client.ListTasksAsync(new DashScopeTaskQuery());

        Assert.Equal(SignedVideoUrl, succeeded.VideoUrl); // returned to the caller, but...
        AssertClean(logger.AllText);                       // ...never logged.
        AssertClean(failed.Message!);
        AssertClean(succeeded.ToString().Replace(SignedVideoUrl, string.Empty, StringComparison.Ordinal));
        Assert.NotEmpty(logger.Entries);
        Assert.Contains(logger.Entries, e => e.Message.Contains("t-1"));
    }

    [Fact]
    public async Task Transport_failures_never_carry_secrets()
    {
        var (client, _, logger) = Create(_ => throw new HttpRequestException("Connection reset"));

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => client.SubmitAsync(Request(SasUrl)));

        AssertClean(Describe(ex));
        AssertClean(logger.AllText);
    }

    [Fact]
    public async Task Malformed_answers_never_carry_the_body()
    {
        var (client, _, logger) = Create(_ => FakeHandler.Json(HttpStatusCode.OK,
            $$$"""{"output":{"task_id":"t","task_status":"SUCCEEDED","video_url":"{{{SignedVideoUrl}}}"},"usage":{"video_count":"{{{SignedVideoUrl}}}"}}"""));

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => client.GetTaskAsync("t"));

        Assert.Equal("MalformedResponse", ex.Code);
        AssertClean(Describe(ex));
        AssertClean(logger.AllText);
    }

    [Fact]
    public void Options_ToString_hides_the_key()
    {
        var options = Options();

        var text = options.ToString();

        Assert.DoesNotContain(ApiKey, text);
        Assert.Contains("***", text);
    }
}
