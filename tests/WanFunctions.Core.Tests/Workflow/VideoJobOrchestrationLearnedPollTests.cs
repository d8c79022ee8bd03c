using WanFunctions.DashScope;
using WanFunctions.Workflow;
using static WanFunctions.Core.Tests.Workflow.WorkflowData;

namespace WanFunctions.Core.Tests.Workflow;

/// <summary>The orchestrator on a learned poll plan: fetched once, fixed in history, fed by finished runs.</summary>
public class VideoJobOrchestrationLearnedPollTests
{
    /// <summary>Run times 40 … 140 s: the quantile at p is 40 + 100 p seconds.</summary>
    private static readonly PollPlan Learned = new(PollClass.Of(Job()), 50, Enumerable.Range(0, 51).Select(i => 40 + i * 2.0).ToArray(),
        FirstQuantile: 0.1, StepQuantile: 0.3, MinGap: TimeSpan.FromSeconds(2), MaxGap: TimeSpan.FromSeconds(60));

    private static readonly DateTime S = StartedAt; // the submit

    private static TaskCheck RunningSince(DateTime scheduled) => new(DashScopeTaskState.Running, ScheduledTime: scheduled);

    [Fact]
    public async Task Queries_land_on_the_plans_quantiles_counted_from_the_reported_start_and_the_run_is_recorded()
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.GetPollPlan, Learned)
            .Answer(WorkflowNames.CheckVideoTask,
                Pending,                       // +50: not started yet
                RunningSince(S.AddSeconds(60)), // +100: running since +60
                RunningSince(S.AddSeconds(60)), // +110
                Succeeded with { SubmitTime = S, ScheduledTime = S.AddSeconds(60), EndTime = S.AddSeconds(130) })
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(PollClass.Of(Job()), Assert.Single(context.CallsTo(WorkflowNames.GetPollPlan)).Input);
        // +50: the 0.1 quantile from the submit; +100: again from the PENDING look; +110: the 0.1 quantile from the
        // start at +60 (40 s run, nothing excluded yet); +137: run 50 s, F = 0.1, next at 0.1 + 0.3 × 0.9 = 0.37 → 77 s.
        Assert.Equal(new[] { 50, 100, 110, 137 }.Select(s => S.AddSeconds(s)), context.Timers);
        var sample = Assert.IsType<PollSampleInput>(Assert.Single(context.CallsTo(WorkflowNames.RecordPollSample)).Input);
        Assert.Equal(new PollSampleInput(PollClass.Of(Job()), TaskId, 70, 130), sample);
    }

    [Theory]
    [InlineData(1, 91)]  // sent at +0, heard of at +3, the activity had the answer at +1: counted from the answer
    [InlineData(-2, 90)] // an answer time before the submit was even sent (a clock behind): counted from the send
    [InlineData(5, 93)]  // an answer time after the orchestration heard of it (a clock ahead): counted from then
    public async Task The_first_query_counts_from_when_the_submit_activity_had_the_providers_answer(int answeredSeconds, int firstLookSeconds)
    {
        // Whole waits 80 … 180 s: the 0.1 quantile is 90 s after the provider created the task.
        var plan = Learned with { TotalQuantiles = Enumerable.Range(0, 51).Select(i => 80 + i * 2.0).ToArray() };
        var submit = new TaskCompletionSource<SubmitOutcome>();
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, submit.Task)
            .Answer(WorkflowNames.GetPollPlan, plan)
            .Answer(WorkflowNames.CheckVideoTask, Succeeded)
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        var run = new VideoJobOrchestration().RunAsync(context.Object, Input());
        context.Now = S.AddSeconds(3); // the orchestration hears of the submit 3 s after sending it
        submit.SetResult(Submitted with { SubmittedAt = S.AddSeconds(answeredSeconds) });
        var result = await run;

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(S.AddSeconds(firstLookSeconds), context.Timers[0]);
        Assert.Equal(S.AddSeconds(firstLookSeconds - 90), result.Timings.SubmittedAt);
    }

    [Fact]
    public async Task With_learned_whole_waits_the_first_query_goes_to_their_first_quantile_from_the_submit()
    {
        // Whole waits 80 … 180 s: the 0.1 quantile is 90 s (the run times alone would say 50 s).
        var plan = Learned with { TotalQuantiles = Enumerable.Range(0, 51).Select(i => 80 + i * 2.0).ToArray() };
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.GetPollPlan, plan)
            .Answer(WorkflowNames.CheckVideoTask,
                RunningSince(S.AddSeconds(30)),  // +90: running 60 s, F = 0.2; next at 0.2 + 0.3 × 0.8 = 0.44 → 84 s
                Succeeded with { SubmitTime = S, ScheduledTime = S.AddSeconds(30), EndTime = S.AddSeconds(110) })
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(new[] { 90, 114 }.Select(s => S.AddSeconds(s)), context.Timers);
        Assert.Equal(new PollSampleInput(PollClass.Of(Job()), TaskId, 80, 110),
            Assert.Single(context.CallsTo(WorkflowNames.RecordPollSample)).Input);
    }

    [Fact]
    public async Task The_plan_is_fetched_once_and_carried_across_continue_as_new()
    {
        var schedule = DefaultSchedule with { PollsPerGeneration = 2 };
        var first = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.GetPollPlan, Learned)
            .Always(WorkflowNames.CheckVideoTask, RunningSince(S.AddSeconds(10)));

        Assert.Null(await new VideoJobOrchestration().RunAsync(first.Object, Input(schedule)));

        var carried = Assert.IsType<VideoJobInput>(first.ContinuedAsNew!.Value.Input);
        Assert.Same(Learned, carried.Poll!.Plan);
        Assert.Equal(S.AddSeconds(10), carried.Poll.RunStartedAt);

        var second = Context(first.Now)
            .Always(WorkflowNames.GetPollPlan, OrchestrationContextFake.Failure(WorkflowNames.GetPollPlan, "must not be asked again"))
            .Answer(WorkflowNames.CheckVideoTask, Succeeded)
            .Answer(WorkflowNames.ArchiveVideo, Archived);
        var result = await new VideoJobOrchestration().RunAsync(second.Object, carried);

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Empty(second.CallsTo(WorkflowNames.GetPollPlan));
        // Run 50 s at the generation's start (F = 0.1): the next look at 0.37 → 77 s after the start at +10.
        Assert.Equal(S.AddSeconds(87), Assert.Single(second.Timers));
    }

    [Fact]
    public async Task Without_a_readable_table_the_job_polls_on_the_default_schedule()
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.GetPollPlan, OrchestrationContextFake.Failure(WorkflowNames.GetPollPlan, "storage down"))
            .Answer(WorkflowNames.CheckVideoTask, Running, Succeeded)
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal([S.AddSeconds(45), S.AddSeconds(60)], context.Timers);
        Assert.Empty(context.CallsTo(WorkflowNames.RecordPollSample)); // the provider reported no times
    }

    [Fact]
    public async Task A_schedule_from_before_learning_neither_reads_nor_writes_the_table()
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Succeeded with { SubmitTime = S, ScheduledTime = S, EndTime = S.AddSeconds(40) })
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        await new VideoJobOrchestration().RunAsync(context.Object, Input(DefaultSchedule with { Learned = false }));

        Assert.Empty(context.CallsTo(WorkflowNames.GetPollPlan));
        Assert.Empty(context.CallsTo(WorkflowNames.RecordPollSample));
        Assert.Equal([S.AddSeconds(45)], context.Timers);
    }

    [Fact]
    public void A_schedule_stored_before_learning_existed_reads_as_not_learned()
    {
        var json = System.Text.Json.JsonSerializer.Serialize(DefaultSchedule).Replace(",\"learned\":true", "", StringComparison.Ordinal);
        Assert.DoesNotContain("learned", json, StringComparison.Ordinal);
        Assert.False(System.Text.Json.JsonSerializer.Deserialize<PollingSchedule>(json)!.Learned);
    }

    [Fact]
    public async Task The_run_is_recorded_in_the_same_step_as_the_archive_starts_not_before_it()
    {
        // RecordPollSample is called without a result type: a pending Task<object> holds its answer back.
        var recorded = new TaskCompletionSource<object>();
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Succeeded with { SubmitTime = S, ScheduledTime = S, EndTime = S.AddSeconds(40) })
            .Answer(WorkflowNames.RecordPollSample, recorded.Task)
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        var run = new VideoJobOrchestration().RunAsync(context.Object, Input());

        // The sample's write has not answered, and the archive is already under way.
        Assert.Single(context.CallsTo(WorkflowNames.RecordPollSample));
        Assert.Single(context.CallsTo(WorkflowNames.ArchiveVideo));
        // In the order a job in flight across the upgrade has them in its history (sample first, then the archive).
        Assert.Equal(new[] { WorkflowNames.RecordPollSample, WorkflowNames.ArchiveVideo },
            context.Calls.Select(c => c.Name).Where(n => n is WorkflowNames.RecordPollSample or WorkflowNames.ArchiveVideo));
        Assert.False(run.IsCompleted);
        recorded.SetResult(true);
        Assert.Equal(JobOutcome.Succeeded, (await run).Outcome);
    }

    [Fact]
    public async Task A_sample_that_cannot_be_written_costs_only_the_sample()
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Succeeded with { SubmitTime = S, ScheduledTime = S, EndTime = S.AddSeconds(40) })
            .Answer(WorkflowNames.RecordPollSample, OrchestrationContextFake.Failure(WorkflowNames.RecordPollSample, "storage down"))
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.NotNull(result.Video);
    }
}
