using WanFunctions.DashScope;
using WanFunctions.Workflow;
using static WanFunctions.Core.Tests.Workflow.WorkflowData;

namespace WanFunctions.Core.Tests.Workflow;

/// <summary>When the orchestrator looks, and what happens at the deadline.</summary>
public class VideoJobOrchestrationScheduleTests
{
    // 10 s first look, then 4 s doubling up to 20 s; 2 min deadline from acceptance.
    private static readonly PollingSchedule Short = new(
        FirstPollDelay: TimeSpan.FromSeconds(10),
        PollInterval: TimeSpan.FromSeconds(4),
        BackoffFactor: 2.0,
        MaxPollInterval: TimeSpan.FromSeconds(20),
        Deadline: TimeSpan.FromMinutes(2),
        PollsPerGeneration: 100,
        SubmitAttempts: 3,
        RetryInterval: TimeSpan.FromSeconds(1));

    private static readonly DateTime ShortDeadline = AcceptedAt.AddMinutes(2);

    private static OrchestrationContextFake RunningForever() => Context()
        .Answer(WorkflowNames.SubmitVideoTask, Submitted)
        .Always(WorkflowNames.CheckVideoTask, Running);

    [Fact]
    public async Task Timers_follow_first_delay_then_backoff_capped_at_the_max_and_never_pass_the_deadline()
    {
        var context = RunningForever().Always(WorkflowNames.CancelVideoTask, new CancelOutcome(true));

        await new VideoJobOrchestration().RunAsync(context.Object, Input(Short));

        // Submitted at +5 s: +10, +4, +8, +16, +20 (cap), +20, +20, then clipped to the deadline at +120 s.
        Assert.Equal(
            new[] { 15, 19, 27, 43, 63, 83, 103, 120 }.Select(s => AcceptedAt.AddSeconds(s)),
            context.Timers);
        Assert.All(context.Timers, t => Assert.True(t <= ShortDeadline, $"timer at {t:O} is after the deadline"));
    }

    [Fact]
    public async Task Progress_announces_each_next_poll_and_the_deadline()
    {
        var context = RunningForever().Always(WorkflowNames.CancelVideoTask, new CancelOutcome(true));

        await new VideoJobOrchestration().RunAsync(context.Object, Input(Short));

        var polling = context.Progress.Where(p => p.Phase == JobPhase.Polling).ToList();
        Assert.Equal(context.Timers, polling.Select(p => p.NextPollAt!.Value));
        Assert.Equal(Enumerable.Range(0, context.Timers.Count), polling.Select(p => p.Polls));
        Assert.All(polling, p => Assert.Equal(ShortDeadline, p.DeadlineAt));
        Assert.All(polling, p => Assert.Equal(TaskId, p.TaskId));
        Assert.All(polling, p => Assert.Equal(StartedAt, p.SubmittedAt));
    }

    [Fact]
    public async Task Deadline_times_the_job_out_and_cancels_the_provider_task()
    {
        var context = RunningForever().Always(WorkflowNames.CancelVideoTask, new CancelOutcome(true));

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input(Short));

        Assert.Equal(JobOutcome.TimedOut, result.Outcome);
        Assert.Equal("DeadlineExceeded", result.Error!.Code);
        Assert.Equal(JobErrorSource.Workflow, result.Error.Source);
        Assert.Contains("RUNNING", result.Error.Message);
        Assert.Contains("canceled at the provider", result.Error.Message);
        var cancel = context.CallsTo(WorkflowNames.CancelVideoTask).Single();
        Assert.Equal(new ProviderTaskRef(TaskId), cancel.Input);
        Assert.Equal(ShortDeadline, cancel.At);
        Assert.Equal(new JobTimings(AcceptedAt, StartedAt, ShortDeadline, 8), result.Timings);
        Assert.Empty(context.CallsTo(WorkflowNames.ArchiveVideo));
        Assert.Equal(JobPhase.Finished, context.Progress[^1].Phase);
    }

    [Fact]
    public async Task Deadline_says_so_when_the_provider_task_could_not_be_canceled()
    {
        var context = RunningForever()
            .Always(WorkflowNames.CancelVideoTask, OrchestrationContextFake.Failure(WorkflowNames.CancelVideoTask, "timeout"));

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input(Short));

        Assert.Equal(JobOutcome.TimedOut, result.Outcome);
        Assert.Equal("DeadlineExceeded", result.Error!.Code);
        Assert.Contains("could not cancel", result.Error.Message);
    }

    [Fact]
    public async Task A_task_that_succeeds_at_the_last_look_before_the_deadline_is_archived()
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Running, Running, Running, Running, Running, Running, Running, Succeeded)
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input(Short));

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(ShortDeadline, context.Timers[^1]);
        Assert.Empty(context.CallsTo(WorkflowNames.CancelVideoTask));
    }

    [Fact]
    public async Task Deadline_counts_from_acceptance_not_from_submission()
    {
        // Submitted a whole minute after acceptance: only one minute of polling is left.
        var context = RunningForever().Always(WorkflowNames.CancelVideoTask, new CancelOutcome(true));
        context.Now = AcceptedAt.AddMinutes(1);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input(Short));

        Assert.Equal(JobOutcome.TimedOut, result.Outcome);
        Assert.Equal(ShortDeadline, context.Timers[^1]);
        Assert.Equal(ShortDeadline, context.Progress[1].DeadlineAt);
    }

    [Fact]
    public async Task Resumed_job_already_past_its_deadline_times_out_without_polling()
    {
        var poll = new PollState(TaskId, StartedAt, ShortDeadline, 7, DashScopeTaskState.Pending);
        var context = Context(ShortDeadline.AddSeconds(1))
            .Always(WorkflowNames.CancelVideoTask, new CancelOutcome(true));

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input(Short, poll: poll));

        Assert.Equal(JobOutcome.TimedOut, result.Outcome);
        Assert.Contains("PENDING", result.Error!.Message);
        Assert.Empty(context.Timers);
        Assert.Empty(context.CallsTo(WorkflowNames.CheckVideoTask));
        Assert.Single(context.CallsTo(WorkflowNames.CancelVideoTask));
    }

    [Fact]
    public async Task After_PollsPerGeneration_polls_continues_as_new_carrying_the_poll_state()
    {
        var schedule = Short with { PollsPerGeneration = 3 };
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Always(WorkflowNames.CheckVideoTask, Running);
        var input = Input(schedule);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, input);

        Assert.Null(result);
        Assert.NotNull(context.ContinuedAsNew);
        (var next, var preserve) = context.ContinuedAsNew.Value;
        Assert.True(preserve, "a cancel event raised meanwhile must survive ContinueAsNew");
        Assert.Equal(input with { Poll = new PollState(TaskId, StartedAt, ShortDeadline, 3, DashScopeTaskState.Running) }, next);
        Assert.Equal(3, context.CallsTo(WorkflowNames.CheckVideoTask).Count());
        Assert.Equal(3, context.Timers.Count);
        Assert.Empty(context.CallsTo(WorkflowNames.CancelVideoTask));
        Assert.Equal("continueAsNew", context.Log[^1]);
        Assert.DoesNotContain(context.Progress, p => p.Phase == JobPhase.Finished);
    }

    [Fact]
    public async Task Resumed_job_does_not_submit_again_and_goes_on_with_the_schedule()
    {
        var schedule = Short with { PollsPerGeneration = 3 };
        var poll = new PollState(TaskId, StartedAt, ShortDeadline, 3, DashScopeTaskState.Running);
        var resumedAt = AcceptedAt.AddSeconds(27);
        var context = Context(resumedAt)
            .Answer(WorkflowNames.CheckVideoTask, Running, Succeeded)
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input(schedule, poll: poll));

        Assert.Empty(context.CallsTo(WorkflowNames.SubmitVideoTask));
        Assert.DoesNotContain(context.Progress, p => p.Phase == JobPhase.Submitting);
        // Polls 3 and 4 of the job: 4 s × 2^2 = 16 s, then the 20 s cap.
        Assert.Equal([resumedAt.AddSeconds(16), resumedAt.AddSeconds(36)], context.Timers);
        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(new JobTimings(AcceptedAt, StartedAt, resumedAt.AddSeconds(36), 5), result.Timings);
        Assert.Equal(TaskId, result.TaskId);
    }

    [Fact]
    public async Task Continued_job_makes_the_same_looks_as_one_long_generation()
    {
        // Generation 1 stops after 3 polls; generation 2 starts from its ContinueAsNew input.
        var schedule = Short with { PollsPerGeneration = 3 };
        var first = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Always(WorkflowNames.CheckVideoTask, Running);
        await new VideoJobOrchestration().RunAsync(first.Object, Input(schedule));
        var resumed = (VideoJobInput)first.ContinuedAsNew!.Value.Input!;
        var second = Context(first.Now) // Running until the deadline
            .Always(WorkflowNames.CheckVideoTask, Running)
            .Always(WorkflowNames.CancelVideoTask, new CancelOutcome(true));
        var result = await new VideoJobOrchestration().RunAsync(second.Object, resumed with { Schedule = Short });

        Assert.Equal(
            new[] { 15, 19, 27, 43, 63, 83, 103, 120 }.Select(s => AcceptedAt.AddSeconds(s)),
            first.Timers.Concat(second.Timers));
        Assert.Equal(JobOutcome.TimedOut, result.Outcome);
        Assert.Equal(8, result.Timings.Polls);
    }
}
