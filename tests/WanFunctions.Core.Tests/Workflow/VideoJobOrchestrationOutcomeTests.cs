using WanFunctions.DashScope;
using WanFunctions.Workflow;
using static WanFunctions.Core.Tests.Workflow.WorkflowData;

namespace WanFunctions.Core.Tests.Workflow;

/// <summary>Every way a job ends other than success.</summary>
public class VideoJobOrchestrationOutcomeTests
{
    private static OrchestrationContextFake ContextAnswering(TaskCheck terminal) => Context()
        .Answer(WorkflowNames.SubmitVideoTask, Submitted)
        .Answer(WorkflowNames.CheckVideoTask, Running, terminal);

    [Fact]
    public async Task Failed_task_fails_the_job_with_the_providers_code_and_message()
    {
        var context = ContextAnswering(
            new TaskCheck(DashScopeTaskState.Failed, "DataInspectionFailed", "Input data may contain inappropriate content."));

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Failed, result.Outcome);
        Assert.Equal(new JobError("DataInspectionFailed", "Input data may contain inappropriate content.", JobErrorSource.Provider), result.Error);
        Assert.Equal(TaskId, result.TaskId);
        Assert.Null(result.Video);
        Assert.Equal(new JobTimings(AcceptedAt, StartedAt, context.Timers[^1], 2), result.Timings);
        Assert.Empty(context.CallsTo(WorkflowNames.ArchiveVideo));
        Assert.Equal(JobPhase.Finished, context.Progress[^1].Phase);
        Assert.Equal(DashScopeTaskState.Failed, context.Progress[^1].ProviderState);
    }

    [Fact]
    public async Task Failed_task_without_a_code_gets_the_fallback_code()
    {
        var context = ContextAnswering(new TaskCheck(DashScopeTaskState.Failed));

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Failed, result.Outcome);
        Assert.Equal("TaskFailed", result.Error!.Code);
        Assert.Equal(JobErrorSource.Provider, result.Error.Source);
        Assert.False(string.IsNullOrWhiteSpace(result.Error.Message));
    }

    [Fact]
    public async Task Canceled_task_cancels_the_job()
    {
        var context = ContextAnswering(new TaskCheck(DashScopeTaskState.Canceled));

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Canceled, result.Outcome);
        Assert.Equal("Canceled", result.Error!.Code);
        Assert.Equal(JobErrorSource.Provider, result.Error.Source);
        Assert.Empty(context.CallsTo(WorkflowNames.ArchiveVideo));
        Assert.Empty(context.CallsTo(WorkflowNames.CancelVideoTask));
    }

    [Fact]
    public async Task Unknown_task_fails_the_job_with_the_providers_code()
    {
        var context = ContextAnswering(new TaskCheck(DashScopeTaskState.Unknown, "TaskNotFound", "No such task."));

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Failed, result.Outcome);
        Assert.Equal(new JobError("TaskNotFound", "No such task.", JobErrorSource.Provider), result.Error);
    }

    [Fact]
    public async Task Unknown_task_without_a_code_fails_with_TaskUnknown()
    {
        var context = ContextAnswering(new TaskCheck(DashScopeTaskState.Unknown));

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Failed, result.Outcome);
        Assert.Equal("TaskUnknown", result.Error!.Code);
        Assert.Equal(JobErrorSource.Provider, result.Error.Source);
        Assert.Empty(context.CallsTo(WorkflowNames.ArchiveVideo));
    }

    [Fact]
    public async Task Permanent_submit_error_fails_the_job_without_polling()
    {
        var refusal = new JobError("InvalidParameter", "The size is not supported.", JobErrorSource.Provider);
        var context = Context().Answer(WorkflowNames.SubmitVideoTask, new SubmitOutcome(null, refusal));

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(new JobResult(JobOutcome.Failed, null, null, null, new JobTimings(AcceptedAt, null, StartedAt, 0), refusal), result);
        Assert.Equal([WorkflowNames.SubmitVideoTask], context.Calls.Select(c => c.Name));
        Assert.Empty(context.Timers);
        Assert.Empty(context.EventWaits);
        Assert.Equal([new JobProgress(JobPhase.Submitting), new JobProgress(JobPhase.Finished)], context.Statuses);
    }

    [Fact]
    public async Task Submit_answer_without_a_task_id_fails_the_job()
    {
        var context = Context().Answer(WorkflowNames.SubmitVideoTask, new SubmitOutcome(null));

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Failed, result.Outcome);
        Assert.Equal("SubmitFailed", result.Error!.Code);
        Assert.Equal(JobErrorSource.Workflow, result.Error.Source);
        Assert.Empty(context.Timers);
    }

    [Fact]
    public async Task Submit_that_fails_after_its_retries_fails_the_job_with_SubmitFailed()
    {
        var context = Context().Answer(WorkflowNames.SubmitVideoTask,
            OrchestrationContextFake.Failure(WorkflowNames.SubmitVideoTask, "DashScope Throttling: too many requests", typeof(DashScopeException).FullName!));

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Failed, result.Outcome);
        Assert.Equal(new JobError("SubmitFailed", "DashScope Throttling: too many requests", JobErrorSource.Workflow), result.Error);
        Assert.Null(result.TaskId);
        Assert.Null(result.Timings.SubmittedAt);
        Assert.Empty(context.Timers);
        Assert.Single(context.Calls);
        Assert.Equal(new JobProgress(JobPhase.Finished), context.Statuses[^1]);
    }

    [Fact]
    public async Task Archive_that_fails_after_its_retries_fails_the_job_but_keeps_the_usage()
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Succeeded)
            .Answer(WorkflowNames.ArchiveVideo, OrchestrationContextFake.Failure(WorkflowNames.ArchiveVideo, "The video host is not allowed."));

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Failed, result.Outcome);
        Assert.Equal(new JobError("ArchiveFailed", "The video host is not allowed.", JobErrorSource.Workflow), result.Error);
        Assert.Null(result.Video);
        Assert.Equal(Usage, result.Usage);
        Assert.Equal(TaskId, result.TaskId);
        Assert.Equal(JobPhase.Finished, context.Progress[^1].Phase);
    }

    [Fact]
    public async Task An_orchestration_started_without_a_job_fails_with_a_clear_message()
    {
        var context = Context();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(
            () => new VideoJobOrchestration().RunAsync(context.Object, null!));

        Assert.Equal("The orchestration was started without a job.", ex.Message);
        Assert.Empty(context.Calls);
    }

    [Fact]
    public async Task Callback_url_receives_the_result()
    {
        const string hook = "https://example.com/hooks/video";
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Succeeded)
            .Answer(WorkflowNames.ArchiveVideo, Archived)
            .Answer(WorkflowNames.NotifyCallback, (object?)null);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input(callbackUrl: hook));

        var callback = context.CallsTo(WorkflowNames.NotifyCallback).Single();
        Assert.Equal(new CallbackInput(JobId, hook, result), callback.Input);
        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(3, callback.Options!.Retry!.Policy!.MaxNumberOfAttempts);
        // The callback goes out once the job has finished.
        Assert.Equal("activity:NotifyCallback", context.Log[^1]);
        Assert.Equal("status:Finished", context.Log[^2]);
    }

    [Fact]
    public async Task Callback_is_sent_for_failures_too()
    {
        const string hook = "https://example.com/hooks/video";
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, new SubmitOutcome(null, new JobError("InvalidParameter", "no", JobErrorSource.Provider)))
            .Answer(WorkflowNames.NotifyCallback, (object?)null);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input(callbackUrl: hook));

        var sent = (CallbackInput)context.CallsTo(WorkflowNames.NotifyCallback).Single().Input!;
        Assert.Equal(JobOutcome.Failed, sent.Result.Outcome);
        Assert.Same(result, sent.Result);
    }

    [Fact]
    public async Task A_failing_callback_does_not_change_the_outcome()
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Succeeded)
            .Answer(WorkflowNames.ArchiveVideo, Archived)
            .Answer(WorkflowNames.NotifyCallback, OrchestrationContextFake.Failure(WorkflowNames.NotifyCallback, "404 from the hook"));

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input(callbackUrl: "https://example.com/hook"));

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(Video, result.Video);
        Assert.Null(result.Error);
        Assert.Single(context.CallsTo(WorkflowNames.NotifyCallback));
    }
}
