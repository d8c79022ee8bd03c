using WanFunctions.DashScope;
using WanFunctions.Workflow;
using static WanFunctions.Core.Tests.Workflow.WorkflowData;

namespace WanFunctions.Core.Tests.Workflow;

public class VideoJobOrchestrationHappyPathTests
{
    private static readonly DateTime Deadline = AcceptedAt.AddMinutes(30);
    private static readonly DateTime Poll1 = StartedAt.AddSeconds(45);
    private static readonly DateTime Poll2 = Poll1.AddSeconds(15);
    private static readonly DateTime Poll3 = Poll2.AddSeconds(22.5);

    private static OrchestrationContextFake HappyContext() => Context()
        .Answer(WorkflowNames.SubmitVideoTask, Submitted)
        .Answer(WorkflowNames.CheckVideoTask, Pending, Running, Succeeded)
        .Answer(WorkflowNames.ArchiveVideo, Archived);

    [Fact]
    public async Task Submits_polls_until_succeeded_archives_and_returns_the_video()
    {
        var context = HappyContext();

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(new JobResult(JobOutcome.Succeeded, TaskId, Video, Usage,
            new JobTimings(AcceptedAt, StartedAt, Poll3, 3), Error: null), result);
    }

    [Fact]
    public async Task Calls_the_activities_in_order_with_their_inputs()
    {
        var context = HappyContext();
        var input = Input();

        await new VideoJobOrchestration().RunAsync(context.Object, input);

        Assert.Equal(
            [WorkflowNames.SubmitVideoTask, WorkflowNames.GetPollPlan, WorkflowNames.CheckVideoTask, WorkflowNames.CheckVideoTask, WorkflowNames.CheckVideoTask,
                WorkflowNames.ArchiveVideo],
            context.Calls.Select(c => c.Name));
        Assert.Equal(new SubmitVideoTaskInput(JobId, input.Job), context.Calls[0].Input);
        // Each look names the moment its timer was set for: the activity waits for it if the timer fired early.
        Assert.Equal(context.Timers.Select(t => new ProviderTaskRef(TaskId, NotBefore: t)), context.CallsTo(WorkflowNames.CheckVideoTask).Select(c => c.Input));
        Assert.Equal(
            new ArchiveVideoInput(JobId, TaskId, "2025/03/04/job-1.mp4", input.Job.Model, input.Job.Size, input.Job.Duration,
                Hashing.Sha256Hex(input.Job.Prompt)),
            context.CallsTo(WorkflowNames.ArchiveVideo).Single().Input);
        Assert.DoesNotContain(WorkflowNames.CancelVideoTask, context.Calls.Select(c => c.Name));
        Assert.Null(context.ContinuedAsNew);
    }

    [Fact]
    public async Task Polls_only_after_each_timer_has_fired()
    {
        var context = HappyContext();

        await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal([Poll1, Poll2, Poll3], context.Timers);
        Assert.Equal([Poll1, Poll2, Poll3], context.CallsTo(WorkflowNames.CheckVideoTask).Select(c => c.At));
        Assert.Equal(StartedAt, context.CallsTo(WorkflowNames.SubmitVideoTask).Single().At);
    }

    [Fact]
    public async Task Custom_status_goes_from_submitting_through_polling_and_archiving_to_finished()
    {
        var context = HappyContext();

        await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(
            [
                new JobProgress(JobPhase.Submitting),
                new JobProgress(JobPhase.Polling, TaskId, DashScopeTaskState.Pending, StartedAt, 0, Poll1, Deadline),
                new JobProgress(JobPhase.Polling, TaskId, DashScopeTaskState.Pending, StartedAt, 1, Poll2, Deadline),
                new JobProgress(JobPhase.Polling, TaskId, DashScopeTaskState.Running, StartedAt, 2, Poll3, Deadline),
                new JobProgress(JobPhase.Archiving, TaskId, DashScopeTaskState.Succeeded, StartedAt, 3, null, Deadline),
                new JobProgress(JobPhase.Finished, TaskId, DashScopeTaskState.Succeeded, StartedAt, 3, null, Deadline),
            ],
            context.Statuses);
    }

    [Fact]
    public async Task Each_status_is_set_before_the_step_it_announces()
    {
        var context = HappyContext();

        await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(
            [
                "status:Submitting", "activity:SubmitVideoTask", "activity:GetPollPlan",
                "status:Polling", "timer", "activity:CheckVideoTask",
                "status:Polling", "timer", "activity:CheckVideoTask",
                "status:Polling", "timer", "activity:CheckVideoTask",
                "status:Archiving", "activity:ArchiveVideo",
                "status:Finished",
            ],
            context.Log);
    }

    [Fact]
    public async Task Waits_for_the_cancel_event_once_for_the_whole_generation()
    {
        var context = HappyContext();

        await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal([WorkflowNames.CancelEvent], context.EventWaits);
    }

    [Fact]
    public async Task Without_a_callback_url_no_callback_is_sent()
    {
        var context = HappyContext();

        await new VideoJobOrchestration().RunAsync(context.Object, Input(callbackUrl: null));

        Assert.Empty(context.CallsTo(WorkflowNames.NotifyCallback));
    }

    [Fact]
    public async Task A_query_that_fails_after_its_retries_does_not_end_the_job()
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask,
                OrchestrationContextFake.Failure(WorkflowNames.CheckVideoTask, "DashScope Throttling: slow down", typeof(DashScopeException).FullName!),
                Succeeded)
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(2, context.CallsTo(WorkflowNames.CheckVideoTask).Count());
        Assert.Equal(2, result.Timings.Polls);
        // The failed query counts as a poll: the next look comes after the regular interval, not the first delay again.
        Assert.Equal([Poll1, Poll2], context.Timers);
        // The provider state stays what it last was (the failed query told nothing new).
        Assert.Equal(DashScopeTaskState.Pending, context.Progress[2].ProviderState);
        Assert.Equal(1, context.Progress[2].Polls);
    }
}
