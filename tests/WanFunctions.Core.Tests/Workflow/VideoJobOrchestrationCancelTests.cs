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
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Pending)
            .Answer(WorkflowNames.CancelVideoTask, new CancelOutcome(true))
            .CancelAtTimer(2);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Canceled, result.Outcome);
        Assert.Equal("Canceled", result.Error!.Code);
        Assert.Equal(JobErrorSource.Workflow, result.Error.Source);
        Assert.Equal(TaskId, result.TaskId);
        Assert.Equal(new ProviderTaskRef(TaskId), context.CallsTo(WorkflowNames.CancelVideoTask).Single().Input);
        Assert.Single(context.CallsTo(WorkflowNames.CheckVideoTask));
        Assert.Empty(context.CallsTo(WorkflowNames.ArchiveVideo));
        Assert.Equal(1, result.Timings.Polls);
        Assert.Equal(JobPhase.Finished, context.Progress[^1].Phase);
    }

    [Fact]
    public async Task Cancel_event_cancels_the_pending_timer()
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CancelVideoTask, new CancelOutcome(true))
            .CancelAtTimer(1);

        await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Single(context.Timers);
        Assert.True(context.TimerTokens[0].IsCancellationRequested, "the timer that lost the race should be canceled");
        // The clock did not move: the timer never fired.
        Assert.Equal(StartedAt, context.CallsTo(WorkflowNames.CancelVideoTask).Single().At);
    }

    [Fact]
    public async Task Refused_cancel_goes_on_polling_notes_it_and_the_job_can_still_succeed()
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Running, Running, Succeeded)
            .Answer(WorkflowNames.CancelVideoTask, new CancelOutcome(false, "UnsupportedOperation", "The task is running."))
            .Answer(WorkflowNames.ArchiveVideo, Archived)
            .CancelAtTimer(2);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(Video, result.Video);
        Assert.Single(context.CallsTo(WorkflowNames.CancelVideoTask));
        Assert.Equal(3, context.CallsTo(WorkflowNames.CheckVideoTask).Count());
        // The timer that lost to the event is replaced by one for the same look.
        Assert.Equal(context.Timers[1], context.Timers[2]);
        Assert.Equal(4, context.Timers.Count);
        // A fresh waiter, so a second cancel request is heard.
        Assert.Equal([WorkflowNames.CancelEvent, WorkflowNames.CancelEvent], context.EventWaits);

        var progress = context.Progress;
        var refusedAt = progress.FindIndex(p => p.Note is not null);
        Assert.True(refusedAt > 0, "a progress note should tell the caller the cancel was refused");
        Assert.Contains("cannot be canceled", progress[refusedAt].Note);
        Assert.All(progress.Take(refusedAt), p => Assert.Null(p.Note));
        Assert.All(progress.Skip(refusedAt), p => Assert.NotNull(p.Note));
    }

    [Fact]
    public async Task Cancel_activity_that_fails_is_treated_as_refused()
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Succeeded)
            .Answer(WorkflowNames.CancelVideoTask, OrchestrationContextFake.Failure(WorkflowNames.CancelVideoTask, "DashScope InternalError"))
            .Answer(WorkflowNames.ArchiveVideo, Archived)
            .CancelAtTimer(1);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Contains(context.Progress, p => p.Note is not null);
    }

    [Fact]
    public async Task A_second_cancel_after_a_refusal_is_heard()
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Running)
            .Answer(WorkflowNames.CancelVideoTask, new CancelOutcome(false, "UnsupportedOperation"), new CancelOutcome(true))
            .CancelAtTimer(1)
            .CancelAtTimer(3);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Canceled, result.Outcome);
        Assert.Equal(2, context.CallsTo(WorkflowNames.CancelVideoTask).Count());
        Assert.Single(context.CallsTo(WorkflowNames.CheckVideoTask));
        Assert.Equal(DashScopeTaskState.Running, context.Progress[^1].ProviderState);
    }

    [Fact]
    public async Task A_cancel_during_a_query_in_mid_generation_is_handled_before_the_next_look()
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Pending)
            .Answer(WorkflowNames.CancelVideoTask, new CancelOutcome(true))
            .CancelDuringActivity(WorkflowNames.CheckVideoTask, 1);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Canceled, result.Outcome);
        Assert.Single(context.CallsTo(WorkflowNames.CheckVideoTask));
        Assert.Null(context.ContinuedAsNew);
    }

    [Fact]
    public async Task A_cancel_during_the_last_query_of_a_generation_is_carried_over_and_handled_first()
    {
        // Every poll is a generation boundary: the event completes the waiter, then the orchestration continues as new.
        var schedule = DefaultSchedule with { PollsPerGeneration = 1 };
        var first = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Pending)
            .CancelDuringActivity(WorkflowNames.CheckVideoTask, 1);

        await new VideoJobOrchestration().RunAsync(first.Object, Input(schedule));

        Assert.NotNull(first.ContinuedAsNew);
        Assert.True(first.ContinuedAsNew.Value.PreserveUnprocessedEvents);
        var carried = Assert.IsType<VideoJobInput>(first.ContinuedAsNew.Value.Input);
        Assert.Equal(new CancelRequest("test"), carried.Poll!.CancelRequested);

        var second = Context(first.Now).Answer(WorkflowNames.CancelVideoTask, new CancelOutcome(true));
        var result = await new VideoJobOrchestration().RunAsync(second.Object, carried);

        Assert.Equal(JobOutcome.Canceled, result.Outcome);
        Assert.Equal("Canceled", result.Error!.Code);
        Assert.Equal([WorkflowNames.CancelVideoTask], second.Calls.Select(c => c.Name));
        Assert.Empty(second.Timers);
    }

    [Fact]
    public async Task A_carried_cancel_the_provider_refuses_is_noted_once_and_not_carried_again()
    {
        var schedule = DefaultSchedule with { PollsPerGeneration = 1 };
        var poll = new PollState(TaskId, StartedAt, AcceptedAt + schedule.Deadline, 1, DashScopeTaskState.Running,
            CancelRequested: new CancelRequest("test"));
        var context = Context()
            .Answer(WorkflowNames.CancelVideoTask, new CancelOutcome(false, "UnsupportedOperation"))
            .Answer(WorkflowNames.CheckVideoTask, Running);

        await new VideoJobOrchestration().RunAsync(context.Object, Input(schedule, poll: poll));

        Assert.Equal([WorkflowNames.CancelVideoTask, WorkflowNames.GetPollPlan, WorkflowNames.CheckVideoTask], context.Calls.Select(c => c.Name));
        var next = Assert.IsType<VideoJobInput>(context.ContinuedAsNew!.Value.Input).Poll!;
        Assert.Null(next.CancelRequested);
        Assert.True(next.CancelRefused);
        Assert.Contains("cannot be canceled", context.Progress[^1].Note);
    }
}
