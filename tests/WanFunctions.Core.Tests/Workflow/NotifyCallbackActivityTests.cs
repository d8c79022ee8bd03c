using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;
using WanFunctions.Workflow;
using WanFunctions.Workflow.Activities;

namespace WanFunctions.Core.Tests.Workflow;

public sealed class NotifyCallbackActivityTests
{
    private sealed class RecordingHandler(HttpStatusCode status) : HttpMessageHandler
    {
        public List<HttpRequestMessage> Requests { get; } = [];

        /// <summary>Bodies read while the request is alive (the activity disposes it after sending).</summary>
        public List<byte[]> Bodies { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request);
            Bodies.Add(await request.Content!.ReadAsByteArrayAsync(cancellationToken));
            return new HttpResponseMessage(status);
        }
    }

    private static (NotifyCallbackActivity Activity, RecordingHandler Handler) Create(string? key, HttpStatusCode status = HttpStatusCode.OK)
    {
        var handler = new RecordingHandler(status);
        var factory = new Mock<IHttpClientFactory>();
        factory.Setup(f => f.CreateClient(NotifyCallbackActivity.HttpClientName)).Returns(() => new HttpClient(handler, disposeHandler: false));
        return (new NotifyCallbackActivity(factory.Object, Options.Create(new CallbackOptions { SigningKey = key }),
            NullLogger<NotifyCallbackActivity>.Instance), handler);
    }

    private static CallbackInput Input => new("job-1", "https://hooks.example.com/done",
        new JobResult(JobOutcome.Succeeded, "t-1", null, null, new JobTimings(DateTime.UnixEpoch, null, DateTime.UnixEpoch, 1)));

    [Fact]
    public async Task Without_a_signing_key_the_callback_is_sent_unsigned()
    {
        var (activity, handler) = Create(key: null);

        Assert.True(await activity.RunAsync(Input, CancellationToken.None));

        var request = Assert.Single(handler.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.False(request.Headers.Contains(NotifyCallbackActivity.SignatureHeader));
    }

    [Fact]
    public async Task With_a_signing_key_the_signature_matches_the_bytes_sent()
    {
        var (activity, handler) = Create(key: new string('k', 40));

        await activity.RunAsync(Input, CancellationToken.None);

        var request = Assert.Single(handler.Requests);
        var body = Assert.Single(handler.Bodies);
        Assert.Equal(activity.Signature(body), request.Headers.GetValues(NotifyCallbackActivity.SignatureHeader).Single());
        Assert.StartsWith("sha256=", activity.Signature(body));
        Assert.Contains("\"jobId\":\"job-1\"", System.Text.Encoding.UTF8.GetString(body));
    }

    [Fact]
    public async Task A_refused_callback_throws_so_the_retry_policy_sees_it()
    {
        var (activity, _) = Create(key: null, HttpStatusCode.ServiceUnavailable);

        await Assert.ThrowsAsync<HttpRequestException>(() => activity.RunAsync(Input, CancellationToken.None));
    }

    [Fact]
    public void A_short_signing_key_stops_the_app_at_start_up()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["DashScope:BaseUrl"] = "https://dashscope-intl.aliyuncs.com",
            ["DashScope:ApiKey"] = "k",
            ["Storage:ConnectionString"] = "UseDevelopmentStorage=true",
            ["Callbacks:SigningKey"] = "too-short",
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddWanFunctions(configuration).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<CallbackOptions>>().Value);
        Assert.Contains("Callbacks:SigningKey", error.Message);
        Assert.DoesNotContain("too-short", error.Message);
    }
}
