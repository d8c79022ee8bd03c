using WanFunctions.DashScope;
using WanFunctions.Workflow;
using static WanFunctions.Core.Tests.Workflow.WorkflowData;

namespace WanFunctions.Core.Tests.Workflow;

/// <summary>
/// The account that accepted the task sticks to it, and without the gate the two deadlines hold: the generation
/// deadline from the provider's acceptance, the 429 phase before it bounded by Workflow:MaxQueueTime.
/// </summary>
public class VideoJobOrchestrationPoolTests
{
    private static readonly PollingSchedule Short = DefaultSchedule with
    {
        FirstPollDelay = TimeSpan.FromSeconds(10),
        PollInterval = TimeSpan.FromSeconds(10),
        MaxPollInterval = TimeSpan.FromSeconds(10),
        Deadline = TimeSpan.FromMinutes(2),
        RetryInterval = TimeSpan.FromSeconds(1),
    };

    /// <summary>A job started with this change: Workflow:MaxQueueTime copied into its input, gate off.</summary>
    private static VideoJobInput Started(TimeSpan maxQueueTime) => Input(Short) with { MaxQueueTime = maxQueueTime };

    [Fact]
    public async Task The_account_that_accepted_the_task_queries_cancels_and_archives_it()
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted with { Account = "second" })
            .Answer(WorkflowNames.CheckVideoTask, Running, Succeeded)
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Started(TimeSpan.FromHours(1)));

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.All(context.CallsTo(WorkflowNames.CheckVideoTask), c => Assert.Equal(new ProviderTaskRef(TaskId, "second"), (ProviderTaskRef)c.Input! with { NotBefore = null }));
        Assert.Equal("second", Assert.IsType<ArchiveVideoInput>(context.CallsTo(WorkflowNames.ArchiveVideo).Single().Input).Account);
    }

    [Fact]
    public async Task Without_the_gate_the_deadline_counts_from_the_providers_acceptance_not_from_the_POST()
    {
        // Accepted by the provider a whole minute after the POST: two full minutes of polling remain.
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted with { Account = "second" })
            .Always(WorkflowNames.CheckVideoTask, Running)
            .Always(WorkflowNames.CancelVideoTask, new CancelOutcome(true));
        context.Now = AcceptedAt.AddMinutes(1);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Started(TimeSpan.FromHours(1)));

        Assert.Equal(JobOutcome.TimedOut, result.Outcome);
        Assert.Equal(AcceptedAt.AddMinutes(3), context.Timers[^1]);
        Assert.Equal(new ProviderTaskRef(TaskId, "second"), context.CallsTo(WorkflowNames.CancelVideoTask).Single().Input);
        var submit = Assert.IsType<SubmitVideoTaskInput>(context.CallsTo(WorkflowNames.SubmitVideoTask).Single().Input);
        Assert.True(submit.ReturnThrottled);
        Assert.Null(submit.Account);
    }

    [Fact]
    public async Task Without_the_gate_a_provider_that_keeps_throttling_ends_the_job_QueueTimeout_at_MaxQueueTime_with_nothing_created()
    {
        var throttled = new SubmitOutcome(null, new JobError("Throttling.AllocationQuota", "Allocated quota exceeded.", JobErrorSource.Provider), Throttled: true);
        var context = Context().Always(WorkflowNames.SubmitVideoTask, throttled);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Started(TimeSpan.FromSeconds(20)));

        Assert.Equal(JobOutcome.TimedOut, result.Outcome);
        Assert.Equal(JobErrors.QueueTimeout, result.Error!.Code);
        Assert.Contains("Workflow:MaxQueueTime", result.Error.Message);
        Assert.Null(result.TaskId);
        Assert.All(context.Timers, t => Assert.True(t <= AcceptedAt.AddSeconds(20)));
        Assert.True(context.CallsTo(WorkflowNames.SubmitVideoTask).Count() > 1);
        Assert.Empty(context.CallsTo(WorkflowNames.CheckVideoTask));
    }
}
