using WanFunctions.DashScope;
using WanFunctions.Workflow;
using static WanFunctions.Core.Tests.Workflow.WorkflowData;

namespace WanFunctions.Core.Tests.Workflow;

/// <summary>The "cancel" external event while the job polls.</summary>
public class VideoJobOrchestrationCancelTests
{
    [Fact]
    public async Task Cancel_event_cancels_the_provider_task_and_the_job()
    {
        OrchestrationContextFake context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Pending)
            .Answer(WorkflowNames.CancelVideoTask, new CancelOutcome(true))
            .CancelAtTimer(2);

        JobResult result = await VideoJobOrchestration.RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Canceled, result.Outcome);
        Assert.Equal("Canceled", result.Error!.Code);
        Assert.Equal("workflow", result.Error.Source);
        Assert.Equal(TaskId, result.TaskId);
        Assert.Equal(TaskId, context.CallsTo(WorkflowNames.CancelVideoTask).Single().Input);
        Assert.Single(context.CallsTo(WorkflowNames.CheckVideoTask));
        Assert.Empty(context.CallsTo(WorkflowNames.ArchiveVideo));
        Assert.Equal(1, result.Timings.Polls);
        Assert.Equal(JobPhase.Finished, context.Progress[^1].Phase);
    }

    [Fact]
    public async Task Cancel_event_cancels_the_pending_timer()
    {
        OrchestrationContextFake context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CancelVideoTask, new CancelOutcome(true))
            .CancelAtTimer(1);

        await VideoJobOrchestration.RunAsync(context.Object, Input());

        Assert.Single(context.Timers);
        Assert.True(context.TimerTokens[0].IsCancellationRequested, "the timer that lost the race should be canceled");
        // The clock did not move: the timer never fired.
        Assert.Equal(StartedAt, context.CallsTo(WorkflowNames.CancelVideoTask).Single().At);
    }

    [Fact]
    public async Task Refused_cancel_goes_on_polling_notes_it_and_the_job_can_still_succeed()
    {
        OrchestrationContextFake context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Running, Running, Succeeded)
            .Answer(WorkflowNames.CancelVideoTask, new CancelOutcome(false, "UnsupportedOperation", "The task is running."))
            .Answer(WorkflowNames.ArchiveVideo, Video)
            .CancelAtTimer(2);

        JobResult result = await VideoJobOrchestration.RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(Video, result.Video);
        Assert.Single(context.CallsTo(WorkflowNames.CancelVideoTask));
        Assert.Equal(3, context.CallsTo(WorkflowNames.CheckVideoTask).Count());
        // The timer that lost to the event is replaced by one for the same look.
        Assert.Equal(context.Timers[1], context.Timers[2]);
        Assert.Equal(4, context.Timers.Count);
        // A fresh waiter, so a second cancel request is heard.
        Assert.Equal([WorkflowNames.CancelEvent, WorkflowNames.CancelEvent], context.EventWaits);

        List<JobProgress> progress = context.Progress;
        int refusedAt = progress.FindIndex(p => p.Note is not null);
        Assert.True(refusedAt > 0, "a progress note should tell the caller the cancel was refused");
        Assert.Contains("cannot be canceled", progress[refusedAt].Note);
        Assert.All(progress.Take(refusedAt), p => Assert.Null(p.Note));
        Assert.All(progress.Skip(refusedAt), p => Assert.NotNull(p.Note));
    }

    [Fact]
    public async Task Cancel_activity_that_fails_is_treated_as_refused()
    {
        OrchestrationContextFake context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Succeeded)
            .Answer(WorkflowNames.CancelVideoTask, OrchestrationContextFake.Failure(WorkflowNames.CancelVideoTask, "DashScope InternalError"))
            .Answer(WorkflowNames.ArchiveVideo, Video)
            .CancelAtTimer(1);

        JobResult result = await VideoJobOrchestration.RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Contains(context.Progress, p => p.Note is not null);
    }

    [Fact]
    public async Task A_second_cancel_after_a_refusal_is_heard()
    {
        OrchestrationContextFake context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Running)
            .Answer(WorkflowNames.CancelVideoTask, new CancelOutcome(false, "UnsupportedOperation"), new CancelOutcome(true))
            .CancelAtTimer(1)
            .CancelAtTimer(3);

        JobResult result = await VideoJobOrchestration.RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Canceled, result.Outcome);
        Assert.Equal(2, context.CallsTo(WorkflowNames.CancelVideoTask).Count());
        Assert.Single(context.CallsTo(WorkflowNames.CheckVideoTask));
        Assert.Equal(DashScopeTaskState.Running, context.Progress[^1].ProviderState);
    }
}
