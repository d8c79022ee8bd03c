using System.Net;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Moq;
using WanFunctions.Core.Tests.DashScope;
using WanFunctions.DashScope;
using WanFunctions.Storage;
using WanFunctions.Workflow;
using WanFunctions.Workflow.Activities;

namespace WanFunctions.Core.Tests.Workflow;

/// <summary>
/// The activities that talk to the provider while a job polls: the states they pass on, and the rule for errors
/// (permanent refusals come back as data with the provider's code; transient faults are thrown for the retry policy).
/// </summary>
public class ProviderActivityTests
{
    private const string TaskId = "t-1";

    private static DashScopeException Refused(HttpStatusCode status, string code, string message = "Refused.") =>
        new(code, message, status, isTransient: false, requestId: "r-1");

    private static DashScopeException Transient() =>
        new("InternalError", "An internal error has occured.", HttpStatusCode.InternalServerError, isTransient: true);

    // ---- CheckVideoTask ----

    [Fact]
    public async Task Check_passes_on_a_state_the_docs_do_not_list_with_the_providers_string()
    {
        var dashScope = new Mock<IDashScopeClient>();
        dashScope.Setup(d => d.GetTaskAsync(TaskId, It.IsAny<CancellationToken>()))
            .ReturnsAsync(new DashScopeTaskStatus(TaskId, DashScopeTaskState.Other, RawState: "PRE-PROCESSING"));

        var check = await new CheckVideoTaskActivity(new SingleClientFactory(dashScope.Object)).RunAsync(new ProviderTaskRef(TaskId), CancellationToken.None);

        Assert.Equal(new TaskCheck(DashScopeTaskState.Other, RawState: "PRE-PROCESSING"), check);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, "InvalidApiKey")]
    [InlineData(HttpStatusCode.Forbidden, "AccessDenied")]
    [InlineData(HttpStatusCode.BadRequest, "Arrearage")]
    public async Task Check_returns_a_permanent_refusal_of_the_query_as_the_providers_error(HttpStatusCode status, string code)
    {
        var dashScope = new Mock<IDashScopeClient>();
        dashScope.Setup(d => d.GetTaskAsync(TaskId, It.IsAny<CancellationToken>())).ThrowsAsync(Refused(status, code, "No way."));

        var check = await new CheckVideoTaskActivity(new SingleClientFactory(dashScope.Object)).RunAsync(new ProviderTaskRef(TaskId), CancellationToken.None);

        Assert.Equal(new JobError(code, "No way.", JobErrorSource.Provider), check.Error);
    }

    [Fact]
    public async Task Check_throws_a_transient_fault_for_the_retry_policy()
    {
        var dashScope = new Mock<IDashScopeClient>();
        dashScope.Setup(d => d.GetTaskAsync(TaskId, It.IsAny<CancellationToken>())).ThrowsAsync(Transient());

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => new CheckVideoTaskActivity(new SingleClientFactory(dashScope.Object)).RunAsync(new ProviderTaskRef(TaskId), CancellationToken.None));

        Assert.True(ex.IsTransient);
    }

    // ---- CancelVideoTask ----

    [Fact]
    public async Task Cancel_of_a_task_no_longer_pending_is_a_refusal_not_an_error()
    {
        var dashScope = new Mock<IDashScopeClient>();
        dashScope.Setup(d => d.CancelAsync(TaskId, It.IsAny<CancellationToken>()))
            .ThrowsAsync(Refused(HttpStatusCode.BadRequest, "UnsupportedOperation", "Failed to cancel the task, please confirm if the task is in PENDING status."));
        dashScope.Setup(d => d.GetTaskAsync(TaskId, It.IsAny<CancellationToken>())).ReturnsAsync(new DashScopeTaskStatus(TaskId, DashScopeTaskState.Running));

        var outcome = await new CancelVideoTaskActivity(new SingleClientFactory(dashScope.Object)).RunAsync(new ProviderTaskRef(TaskId), CancellationToken.None);

        Assert.False(outcome.Canceled);
        Assert.Equal("UnsupportedOperation", outcome.Code);
        Assert.Null(outcome.Error);
    }

    [Fact]
    public async Task Cancel_run_twice_finds_the_task_canceled_and_says_so()
    {
        var dashScope = new Mock<IDashScopeClient>();
        dashScope.Setup(d => d.CancelAsync(TaskId, It.IsAny<CancellationToken>())).ThrowsAsync(Refused(HttpStatusCode.BadRequest, "UnsupportedOperation"));
        dashScope.Setup(d => d.GetTaskAsync(TaskId, It.IsAny<CancellationToken>())).ReturnsAsync(new DashScopeTaskStatus(TaskId, DashScopeTaskState.Canceled));

        var outcome = await new CancelVideoTaskActivity(new SingleClientFactory(dashScope.Object)).RunAsync(new ProviderTaskRef(TaskId), CancellationToken.None);

        Assert.Equal(new CancelOutcome(true), outcome);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, "InvalidApiKey")]
    [InlineData(HttpStatusCode.Forbidden, "AccessDenied")]
    [InlineData(HttpStatusCode.BadRequest, "Arrearage")]
    public async Task Cancel_refused_for_good_returns_the_providers_error_without_looking_again(HttpStatusCode status, string code)
    {
        var dashScope = new Mock<IDashScopeClient>();
        dashScope.Setup(d => d.CancelAsync(TaskId, It.IsAny<CancellationToken>())).ThrowsAsync(Refused(status, code, "No way."));

        var outcome = await new CancelVideoTaskActivity(new SingleClientFactory(dashScope.Object)).RunAsync(new ProviderTaskRef(TaskId), CancellationToken.None);

        Assert.False(outcome.Canceled);
        Assert.Equal(new JobError(code, "No way.", JobErrorSource.Provider), outcome.Error);
        dashScope.Verify(d => d.GetTaskAsync(It.IsAny<string>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task Cancel_whose_follow_up_look_is_refused_for_good_returns_the_providers_error()
    {
        var dashScope = new Mock<IDashScopeClient>();
        dashScope.Setup(d => d.CancelAsync(TaskId, It.IsAny<CancellationToken>())).ThrowsAsync(Refused(HttpStatusCode.BadRequest, "UnsupportedOperation"));
        dashScope.Setup(d => d.GetTaskAsync(TaskId, It.IsAny<CancellationToken>()))
            .ThrowsAsync(Refused(HttpStatusCode.Unauthorized, "InvalidApiKey", "Invalid API-key provided."));

        var outcome = await new CancelVideoTaskActivity(new SingleClientFactory(dashScope.Object)).RunAsync(new ProviderTaskRef(TaskId), CancellationToken.None);

        Assert.False(outcome.Canceled);
        Assert.Equal(new JobError("InvalidApiKey", "Invalid API-key provided.", JobErrorSource.Provider), outcome.Error);
    }

    [Fact]
    public async Task Cancel_throws_a_transient_fault_for_the_retry_policy()
    {
        var dashScope = new Mock<IDashScopeClient>();
        dashScope.Setup(d => d.CancelAsync(TaskId, It.IsAny<CancellationToken>())).ThrowsAsync(Transient());

        await Assert.ThrowsAsync<DashScopeException>(() => new CancelVideoTaskActivity(new SingleClientFactory(dashScope.Object)).RunAsync(new ProviderTaskRef(TaskId), CancellationToken.None));
    }

    // ---- ArchiveVideo ----

    /// <summary>The archive activity from the app's own registrations, over a blob service that holds nothing yet.</summary>
    private static ArchiveVideoActivity Archive(IDashScopeClient dashScope)
    {
        // No blob exists (every storage call answers 404), so the archive goes on to ask the provider for the URL.
        var storage = new BlobServiceClient(new Uri("https://acct.blob.core.windows.net"), new BlobClientOptions
        {
            Transport = new HttpClientTransport(new HttpClient(new FakeHandler(_ => new HttpResponseMessage(HttpStatusCode.NotFound)))),
            Retry = { MaxRetries = 0 },
        });
        var services = new ServiceCollection()
            .AddLogging()
            .AddHttpClient()
            .AddSingleton(TimeProvider.System)
            .AddSingleton(storage)
            .AddSingleton<IDashScopeClientFactory>(new SingleClientFactory(dashScope))
            .AddSingleton<VideoSourcePolicy>()
            .AddSingleton<VideoArchiver>()
            .AddSingleton<ArchiveVideoActivity>()
            .BuildServiceProvider();
        return services.GetRequiredService<ArchiveVideoActivity>();
    }

    private static readonly ArchiveVideoInput ArchiveInput = new("job-1", TaskId, "2025/03/04/job-1.mp4", "wan2.6-r2v-flash", "1280*720", 5, "abc");

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, "InvalidApiKey")]
    [InlineData(HttpStatusCode.Forbidden, "AccessDenied")]
    public async Task Archive_look_up_refused_for_good_returns_the_providers_error(HttpStatusCode status, string code)
    {
        var dashScope = new Mock<IDashScopeClient>();
        dashScope.Setup(d => d.GetTaskAsync(TaskId, It.IsAny<CancellationToken>())).ThrowsAsync(Refused(status, code, "No way."));

        var outcome = await Archive(dashScope.Object).RunAsync(ArchiveInput, CancellationToken.None);

        Assert.Null(outcome.Video);
        Assert.Equal(new JobError(code, "No way.", JobErrorSource.Provider), outcome.Error);
    }

    [Fact]
    public async Task Archive_look_up_that_fails_transiently_is_thrown_for_the_retry_policy()
    {
        var dashScope = new Mock<IDashScopeClient>();
        dashScope.Setup(d => d.GetTaskAsync(TaskId, It.IsAny<CancellationToken>())).ThrowsAsync(Transient());

        await Assert.ThrowsAsync<DashScopeException>(() => Archive(dashScope.Object).RunAsync(ArchiveInput, CancellationToken.None));
    }
}
