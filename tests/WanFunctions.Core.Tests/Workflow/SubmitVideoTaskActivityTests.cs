using System.Net;
using Azure;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;
using WanFunctions.DashScope;
using WanFunctions.Jobs;
using WanFunctions.Storage;
using WanFunctions.Workflow;
using WanFunctions.Workflow.Activities;
using static WanFunctions.Core.Tests.Workflow.WorkflowData;

namespace WanFunctions.Core.Tests.Workflow;

/// <summary>At most one provider task per job: what the submit activity does with every kind of answer.</summary>
public sealed class SubmitVideoTaskActivityTests
{
    /// <summary>A clock that never sleeps: a wait returns at once and moves the clock on by its length.</summary>
    private sealed class InstantTime(DateTimeOffset start) : TimeProvider
    {
        private long ticks = start.UtcTicks;

        public List<TimeSpan> Waits { get; } = [];

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref ticks), TimeSpan.Zero);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            lock (Waits)
            {
                Waits.Add(dueTime);
            }

            Interlocked.Add(ref ticks, dueTime.Ticks);
            ThreadPool.QueueUserWorkItem(_ => callback(state));
            return new NoTimer();
        }

        private sealed class NoTimer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    private const string OurTask = "task-ours";
    private static readonly string[] NoTasks = [];
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 20, 30, 0, TimeSpan.Zero);
    private static readonly string Prompt = Job().Prompt;
    private static readonly string PromptSha = Hashing.Sha256Hex(Prompt);

    private readonly Mock<IDashScopeClient> dashScope = new(MockBehavior.Strict);
    private readonly Mock<ISubmissionLedger> ledger = new();
    private readonly InstantTime time = new(Now);
    private readonly DashScopeOptions settings = new() { SubmitSettleLooks = 3, SubmitSettleInterval = TimeSpan.FromSeconds(10) };
    private readonly List<string> order = [];

    public SubmitVideoTaskActivityTests()
    {
        ledger.Setup(l => l.FindTaskIdAsync(JobId, It.IsAny<CancellationToken>())).ReturnsAsync((string?)null);
        ledger.Setup(l => l.FindIntentAsync(JobId, PromptSha, It.IsAny<CancellationToken>())).ReturnsAsync((SubmitIntent?)null);
        ledger.Setup(l => l.FindOtherIntentsAsync(JobId, PromptSha, It.IsAny<CancellationToken>())).ReturnsAsync([]);
        ledger.Setup(l => l.FindJobOfTaskAsync(It.IsAny<string>(), It.IsAny<CancellationToken>())).ReturnsAsync((string?)null);
        ledger.Setup(l => l.WriteIntentAsync(It.IsAny<SubmitIntent>(), It.IsAny<CancellationToken>()))
            .Callback(() => order.Add("intent")).Returns(Task.CompletedTask);
    }

    private SubmitVideoTaskActivity Activity() => new(new WanFunctions.Core.Tests.DashScope.SingleClientFactory(dashScope.Object),
        new ReferenceUrlResolver(Mock.Of<BlobServiceClient>(), Options.Create(new StorageOptions()), time),
        ledger.Object, Options.Create(settings), time, NullLogger<SubmitVideoTaskActivity>.Instance);

    private static SubmitVideoTaskInput Input => new(JobId, Job());

    private void SubmitFails(DashScopeException failure) =>
        dashScope.Setup(d => d.SubmitAsync(It.IsAny<VideoSynthesisRequest>(), It.IsAny<CancellationToken>()))
            .Callback(() => order.Add("submit")).ThrowsAsync(failure);

    private void SubmitTimesOut() => SubmitFails(new DashScopeException("Timeout", "The request to DashScope timed out.", null, isTransient: true,
        innerException: new TaskCanceledException(), outcomeUnknown: true));

    /// <summary>Each look at the list returns the next of <paramref name="looks"/> (the last one repeats).</summary>
    private void Listed(params string[][] looks)
    {
        var call = 0;
        dashScope.Setup(d => d.ListTasksAsync(It.IsAny<DashScopeTaskQuery>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(() =>
            {
                var ids = looks[Math.Min(call++, looks.Length - 1)];
                return new DashScopeTaskPage(ids.Select(id => new DashScopeTaskStatus(id, DashScopeTaskState.Pending)).ToList(), ids.Length);
            });
    }

    private void Prompted(string taskId, string? origPrompt) =>
        dashScope.Setup(d => d.GetTaskAsync(taskId, It.IsAny<CancellationToken>()))
            .ReturnsAsync(new DashScopeTaskStatus(taskId, DashScopeTaskState.Pending, OrigPrompt: origPrompt));

    private void SubmitCalls(int times) =>
        dashScope.Verify(d => d.SubmitAsync(It.IsAny<VideoSynthesisRequest>(), It.IsAny<CancellationToken>()), Times.Exactly(times));

    [Fact]
    public async Task A_recorded_task_is_returned_without_submitting()
    {
        ledger.Setup(l => l.FindTaskIdAsync(JobId, It.IsAny<CancellationToken>())).ReturnsAsync(OurTask);

        var outcome = await Activity().RunAsync(Input, CancellationToken.None);

        Assert.Equal(OurTask, outcome.TaskId);
        SubmitCalls(0);
    }

    [Fact]
    public async Task The_intent_is_written_before_the_request_is_sent_and_dropped_once_the_task_is_recorded()
    {
        SubmitIntent? written = null;
        ledger.Setup(l => l.WriteIntentAsync(It.IsAny<SubmitIntent>(), It.IsAny<CancellationToken>()))
            .Callback((SubmitIntent i, CancellationToken _) => { written = i; order.Add("intent"); }).Returns(Task.CompletedTask);
        dashScope.Setup(d => d.SubmitAsync(It.IsAny<VideoSynthesisRequest>(), It.IsAny<CancellationToken>()))
            .Callback(() => order.Add("submit")).ReturnsAsync(new SubmittedTask(OurTask, "r"));
        ledger.Setup(l => l.RecordAsync(JobId, OurTask, DashScopeAccount.DefaultName, It.IsAny<CancellationToken>())).Callback(() => order.Add("record")).Returns(Task.CompletedTask);
        ledger.Setup(l => l.DeleteIntentAsync(JobId, PromptSha, It.IsAny<CancellationToken>())).Callback(() => order.Add("forget")).Returns(Task.CompletedTask);

        var outcome = await Activity().RunAsync(Input, CancellationToken.None);

        Assert.Equal(OurTask, outcome.TaskId);
        Assert.Equal(["intent", "submit", "record", "forget"], order);
        Assert.Equal(new SubmitIntent(JobId, ModelCatalog.Wan26R2VFlash, PromptSha, Now), written);
    }

    [Fact]
    public async Task A_late_answer_is_settled_in_the_task_list_and_the_jobs_task_adopted_without_resubmitting()
    {
        SubmitTimesOut();
        ledger.Setup(l => l.FindJobOfTaskAsync("task-of-job-2", It.IsAny<CancellationToken>())).ReturnsAsync("job-2");
        Prompted("task-foreign", "someone else's prompt");
        Prompted(OurTask, Prompt);
        DashScopeTaskQuery? query = null;
        dashScope.Setup(d => d.ListTasksAsync(It.IsAny<DashScopeTaskQuery>(), It.IsAny<CancellationToken>()))
            .Callback((DashScopeTaskQuery q, CancellationToken _) => query = q)
            .ReturnsAsync(new DashScopeTaskPage(
                new[] { "task-of-job-2", "task-foreign", OurTask }.Select(id => new DashScopeTaskStatus(id, DashScopeTaskState.Pending)).ToList(), 3));

        var outcome = await Activity().RunAsync(Input, CancellationToken.None);

        Assert.Equal(OurTask, outcome.TaskId);
        Assert.Null(outcome.Error);
        SubmitCalls(1);
        ledger.Verify(l => l.RecordAsync(JobId, OurTask, DashScopeAccount.DefaultName, It.IsAny<CancellationToken>()), Times.Once);
        ledger.Verify(l => l.DeleteIntentAsync(JobId, PromptSha, It.IsAny<CancellationToken>()), Times.Once);
        // A recorded task is never queried: it is another job's.
        dashScope.Verify(d => d.GetTaskAsync("task-of-job-2", It.IsAny<CancellationToken>()), Times.Never);
        Assert.NotNull(query);
        Assert.Equal(ModelCatalog.Wan26R2VFlash, query.ModelName);
        Assert.Equal(Now - SubmitVideoTaskActivity.WindowMargin, query.StartTime);
        Assert.Equal(Now + SubmitVideoTaskActivity.WindowMargin, query.EndTime);
    }

    [Theory]
    [InlineData(502, "BadGateway")]
    [InlineData(500, "InternalServerError")]
    [InlineData(200, "MalformedResponse")]
    public async Task Any_answer_without_a_verdict_is_settled_not_resubmitted(int status, string code)
    {
        SubmitFails(new DashScopeException(code, "no verdict", (HttpStatusCode)status, isTransient: true, outcomeUnknown: true));
        Listed([OurTask]);
        Prompted(OurTask, Prompt);

        var outcome = await Activity().RunAsync(Input, CancellationToken.None);

        Assert.Equal(OurTask, outcome.TaskId);
        SubmitCalls(1);
    }

    [Fact]
    public async Task A_lagging_list_is_looked_at_again_after_the_settle_interval()
    {
        SubmitTimesOut();
        Listed(NoTasks, [OurTask]);
        Prompted(OurTask, Prompt);

        var outcome = await Activity().RunAsync(Input, CancellationToken.None);

        Assert.Equal(OurTask, outcome.TaskId);
        Assert.Equal([TimeSpan.FromSeconds(10)], time.Waits);
        dashScope.Verify(d => d.ListTasksAsync(It.IsAny<DashScopeTaskQuery>(), It.IsAny<CancellationToken>()), Times.Exactly(2));
    }

    [Fact]
    public async Task An_outcome_that_cannot_be_settled_ends_SubmitOutcomeUnknown_naming_the_model_and_the_window()
    {
        SubmitTimesOut();
        Listed(NoTasks);

        var outcome = await Activity().RunAsync(Input, CancellationToken.None);

        Assert.Null(outcome.TaskId);
        Assert.NotNull(outcome.Error);
        Assert.Equal("SubmitOutcomeUnknown", outcome.Error.Code);
        Assert.Equal(JobErrorSource.Workflow, outcome.Error.Source);
        var message = outcome.Error.Message;
        Assert.Contains(ModelCatalog.Wan26R2VFlash, message);
        // Window: attempt − 1 min to the last look (two 10 s waits later) + 1 min, in UTC and at UTC+8.
        Assert.Contains("between 2026-03-01 20:29:00 and 2026-03-01 20:31:20 UTC", message);
        Assert.Contains("(2026-03-02 04:29:00 and 2026-03-02 04:31:20 provider time, UTC+08:00)", message);
        Assert.Contains("Timeout", message);
        Assert.Contains("no unrecorded task with this job's prompt", message);
        SubmitCalls(1);
        dashScope.Verify(d => d.ListTasksAsync(It.IsAny<DashScopeTaskQuery>(), It.IsAny<CancellationToken>()), Times.Exactly(3));
        // The intent stays, so a re-run of the activity settles again rather than submitting.
        ledger.Verify(l => l.DeleteIntentAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task Two_unrecorded_tasks_with_the_jobs_prompt_are_never_guessed_between()
    {
        SubmitTimesOut();
        Listed([OurTask, "task-twin"]);
        Prompted(OurTask, Prompt);
        Prompted("task-twin", Prompt);

        var outcome = await Activity().RunAsync(Input, CancellationToken.None);

        Assert.Equal("SubmitOutcomeUnknown", outcome.Error?.Code);
        Assert.Contains("2 unrecorded tasks carry this job's prompt", outcome.Error!.Message);
        Assert.Contains(OurTask, outcome.Error.Message);
        Assert.Contains("task-twin", outcome.Error.Message);
        ledger.Verify(l => l.RecordAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<string>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task A_task_without_an_original_prompt_is_not_adopted()
    {
        SubmitTimesOut();
        Listed([OurTask]);
        Prompted(OurTask, null);

        var outcome = await Activity().RunAsync(Input, CancellationToken.None);

        Assert.Equal("SubmitOutcomeUnknown", outcome.Error?.Code);
    }

    [Fact]
    public async Task Another_job_submitting_the_same_prompt_at_the_same_time_blocks_adoption()
    {
        SubmitTimesOut();
        Listed([OurTask]);
        Prompted(OurTask, Prompt);
        ledger.Setup(l => l.FindOtherIntentsAsync(JobId, PromptSha, It.IsAny<CancellationToken>()))
            .ReturnsAsync([new SubmitIntent("job-2", ModelCatalog.Wan26R2VFlash, PromptSha, Now.AddSeconds(-3))]);

        var outcome = await Activity().RunAsync(Input, CancellationToken.None);

        Assert.Equal("SubmitOutcomeUnknown", outcome.Error?.Code);
        Assert.Contains("another job with the same prompt", outcome.Error!.Message);
    }

    [Fact]
    public async Task A_same_prompt_intent_too_old_to_reach_the_window_does_not_block()
    {
        SubmitTimesOut();
        Listed([OurTask]);
        Prompted(OurTask, Prompt);
        var longAgo = Now - SubmitVideoTaskActivity.WindowMargin - settings.TotalTimeout - TimeSpan.FromSeconds(1);
        ledger.Setup(l => l.FindOtherIntentsAsync(JobId, PromptSha, It.IsAny<CancellationToken>()))
            .ReturnsAsync([new SubmitIntent("job-2", ModelCatalog.Wan26R2VFlash, PromptSha, longAgo)]);

        var outcome = await Activity().RunAsync(Input, CancellationToken.None);

        Assert.Equal(OurTask, outcome.TaskId);
    }

    [Fact]
    public async Task An_earlier_intent_without_a_task_id_is_settled_instead_of_submitted()
    {
        var earlier = Now.AddMinutes(-4);
        ledger.Setup(l => l.FindIntentAsync(JobId, PromptSha, It.IsAny<CancellationToken>()))
            .ReturnsAsync(new SubmitIntent(JobId, ModelCatalog.Wan26R2VFlash, PromptSha, earlier));
        DashScopeTaskQuery? query = null;
        dashScope.Setup(d => d.ListTasksAsync(It.IsAny<DashScopeTaskQuery>(), It.IsAny<CancellationToken>()))
            .Callback((DashScopeTaskQuery q, CancellationToken _) => query = q)
            .ReturnsAsync(new DashScopeTaskPage([new DashScopeTaskStatus(OurTask, DashScopeTaskState.Running)], 1));
        // The first run recorded the task → job direction before it died.
        ledger.Setup(l => l.FindJobOfTaskAsync(OurTask, It.IsAny<CancellationToken>())).ReturnsAsync(JobId);

        var outcome = await Activity().RunAsync(Input, CancellationToken.None);

        Assert.Equal(OurTask, outcome.TaskId);
        SubmitCalls(0);
        ledger.Verify(l => l.WriteIntentAsync(It.IsAny<SubmitIntent>(), It.IsAny<CancellationToken>()), Times.Never);
        Assert.Equal(earlier - SubmitVideoTaskActivity.WindowMargin, query!.StartTime);
    }

    [Fact]
    public async Task An_earlier_intent_whose_task_is_not_listed_ends_SubmitOutcomeUnknown_and_never_submits()
    {
        ledger.Setup(l => l.FindIntentAsync(JobId, PromptSha, It.IsAny<CancellationToken>()))
            .ReturnsAsync(new SubmitIntent(JobId, ModelCatalog.Wan26R2VFlash, PromptSha, Now.AddMinutes(-1)));
        Listed(NoTasks);

        var outcome = await Activity().RunAsync(Input, CancellationToken.None);

        Assert.Equal("SubmitOutcomeUnknown", outcome.Error?.Code);
        Assert.Contains("an earlier attempt ended without recording", outcome.Error!.Message);
        SubmitCalls(0);
    }

    [Fact]
    public async Task A_task_list_that_cannot_be_read_ends_SubmitOutcomeUnknown_rather_than_a_blind_retry()
    {
        SubmitTimesOut();
        dashScope.Setup(d => d.ListTasksAsync(It.IsAny<DashScopeTaskQuery>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new DashScopeException("InternalError", "busy", HttpStatusCode.InternalServerError, isTransient: true));

        var outcome = await Activity().RunAsync(Input, CancellationToken.None);

        Assert.Equal("SubmitOutcomeUnknown", outcome.Error?.Code);
        Assert.Contains("could not be read (InternalError)", outcome.Error!.Message);
        SubmitCalls(1);
    }

    [Fact]
    public async Task Throttling_creates_nothing_so_the_intent_is_dropped_and_the_fault_thrown_for_the_durable_retry()
    {
        SubmitFails(new DashScopeException("Throttling.RateQuota", "slow down", HttpStatusCode.TooManyRequests, isTransient: true));

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => Activity().RunAsync(Input, CancellationToken.None));

        Assert.Equal("Throttling.RateQuota", ex.Code);
        ledger.Verify(l => l.DeleteIntentAsync(JobId, PromptSha, It.IsAny<CancellationToken>()), Times.Once);
        dashScope.Verify(d => d.ListTasksAsync(It.IsAny<DashScopeTaskQuery>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task A_permanent_refusal_is_the_providers_error()
    {
        SubmitFails(new DashScopeException("InvalidParameter", "bad size", HttpStatusCode.BadRequest, isTransient: false));

        var outcome = await Activity().RunAsync(Input, CancellationToken.None);

        Assert.Equal(new JobError("InvalidParameter", "bad size", JobErrorSource.Provider), outcome.Error);
        ledger.Verify(l => l.DeleteIntentAsync(JobId, PromptSha, It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task A_ledger_write_that_fails_after_acceptance_does_not_orphan_the_task()
    {
        dashScope.Setup(d => d.SubmitAsync(It.IsAny<VideoSynthesisRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new SubmittedTask(OurTask, "r"));
        ledger.Setup(l => l.RecordAsync(JobId, OurTask, DashScopeAccount.DefaultName, It.IsAny<CancellationToken>()))
            .ThrowsAsync(new RequestFailedException(503, "Server busy"));

        var outcome = await Activity().RunAsync(Input, CancellationToken.None);

        // The id reaches the orchestration (and its history) anyway ...
        Assert.Equal(OurTask, outcome.TaskId);
        SubmitCalls(1);
        ledger.Verify(l => l.RecordAsync(JobId, OurTask, DashScopeAccount.DefaultName, It.IsAny<CancellationToken>()), Times.Exactly(SubmitVideoTaskActivity.RecordAttempts));
        // ... and the intent stays, so a re-run would find the task in the list rather than submit again.
        ledger.Verify(l => l.DeleteIntentAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<CancellationToken>()), Times.Never);
    }

    [Fact]
    public async Task A_ledger_write_that_fails_once_is_retried()
    {
        dashScope.Setup(d => d.SubmitAsync(It.IsAny<VideoSynthesisRequest>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new SubmittedTask(OurTask, "r"));
        ledger.SetupSequence(l => l.RecordAsync(JobId, OurTask, DashScopeAccount.DefaultName, It.IsAny<CancellationToken>()))
            .ThrowsAsync(new RequestFailedException(503, "Server busy"))
            .Returns(Task.CompletedTask);

        var outcome = await Activity().RunAsync(Input, CancellationToken.None);

        Assert.Equal(OurTask, outcome.TaskId);
        ledger.Verify(l => l.RecordAsync(JobId, OurTask, DashScopeAccount.DefaultName, It.IsAny<CancellationToken>()), Times.Exactly(2));
        ledger.Verify(l => l.DeleteIntentAsync(JobId, PromptSha, It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task The_granted_account_submits_and_is_recorded_with_the_task_and_a_rerun_returns_it()
    {
        var clients = new WanFunctions.Core.Tests.DashScope.SingleClientFactory(dashScope.Object, DashScopeAccount.DefaultName, "second");
        SubmitIntent? written = null;
        ledger.Setup(l => l.WriteIntentAsync(It.IsAny<SubmitIntent>(), It.IsAny<CancellationToken>()))
            .Callback((SubmitIntent i, CancellationToken _) => written = i).Returns(Task.CompletedTask);
        dashScope.Setup(d => d.SubmitAsync(It.IsAny<VideoSynthesisRequest>(), It.IsAny<CancellationToken>())).ReturnsAsync(new SubmittedTask(OurTask, "r"));
        var activity = new SubmitVideoTaskActivity(clients,
            new ReferenceUrlResolver(Mock.Of<BlobServiceClient>(), Options.Create(new StorageOptions()), time),
            ledger.Object, Options.Create(settings), time, NullLogger<SubmitVideoTaskActivity>.Instance);

        var outcome = await activity.RunAsync(Input with { Account = "second" }, CancellationToken.None);

        Assert.Equal((OurTask, "second"), (outcome.TaskId, outcome.Account));
        Assert.Equal(["second"], clients.Asked);
        Assert.Equal("second", written!.Account);
        ledger.Verify(l => l.RecordAsync(JobId, OurTask, "second", It.IsAny<CancellationToken>()), Times.Once);

        ledger.Setup(l => l.FindTaskIdAsync(JobId, It.IsAny<CancellationToken>())).ReturnsAsync(OurTask);
        ledger.Setup(l => l.FindTaskAsync(OurTask, It.IsAny<CancellationToken>())).ReturnsAsync(new RecordedTask(JobId, "second"));
        var again = await activity.RunAsync(Input, CancellationToken.None);

        Assert.Equal((OurTask, "second"), (again.TaskId, again.Account));
        SubmitCalls(1);
    }
}
