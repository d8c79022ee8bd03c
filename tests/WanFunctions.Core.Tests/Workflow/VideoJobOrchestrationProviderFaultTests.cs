using WanFunctions.DashScope;
using WanFunctions.Workflow;
using static WanFunctions.Core.Tests.Workflow.WorkflowData;

namespace WanFunctions.Core.Tests.Workflow;

/// <summary>Task states the docs do not list, and the provider refusing a call for good while the job polls.</summary>
public class VideoJobOrchestrationProviderFaultTests
{
    private static readonly JobError KeyRevoked = new("InvalidApiKey", "Invalid API-key provided.", JobErrorSource.Provider);

    private static TaskCheck Refused(JobError error) => new(DashScopeTaskState.Unknown, Error: error);

    // ---- states the docs do not list ----

    [Fact]
    public async Task A_state_the_docs_do_not_list_keeps_the_job_polling_shows_the_raw_state_and_the_job_can_succeed()
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask,
                new TaskCheck(DashScopeTaskState.Pending, RawState: "PENDING"),
                new TaskCheck(DashScopeTaskState.Other, RawState: "PRE-PROCESSING"),
                new TaskCheck(DashScopeTaskState.Other, RawState: "SUSPENDED"),
                new TaskCheck(DashScopeTaskState.Running, RawState: "RUNNING"),
                Succeeded)
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(5, context.CallsTo(WorkflowNames.CheckVideoTask).Count());
        var polling = context.Progress.Where(p => p.Phase == JobPhase.Polling).ToList();
        Assert.Equal([null, "PENDING", "PRE-PROCESSING", "SUSPENDED", "RUNNING"], polling.Select(p => p.ProviderRawState));
        Assert.Equal(DashScopeTaskState.Other, polling[2].ProviderState);
    }

    [Fact]
    public async Task The_deadline_message_names_the_providers_own_state()
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Always(WorkflowNames.CheckVideoTask, new TaskCheck(DashScopeTaskState.Other, RawState: "SUSPENDED"))
            .Always(WorkflowNames.CancelVideoTask, new CancelOutcome(false, "UnsupportedOperation"));

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.TimedOut, result.Outcome);
        Assert.Equal("DeadlineExceeded", result.Error!.Code);
        Assert.Contains("still SUSPENDED at the", result.Error.Message);
        Assert.Equal("SUSPENDED", context.Progress[^1].ProviderRawState);
    }

    // ---- permanent refusals ----

    [Fact]
    public async Task A_query_refused_for_good_ends_the_job_at_once_with_the_providers_code()
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Pending, Refused(KeyRevoked));

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Failed, result.Outcome);
        Assert.Equal(KeyRevoked, result.Error);
        Assert.Equal(TaskId, result.TaskId);
        Assert.Equal(2, result.Timings.Polls);
        Assert.Equal(2, context.Timers.Count);
        Assert.Equal(context.Timers[^1], result.Timings.FinishedAt);
        Assert.Empty(context.CallsTo(WorkflowNames.ArchiveVideo));
        // The refused query says nothing about the task: the progress keeps the last state the provider did report.
        Assert.Equal(JobPhase.Finished, context.Progress[^1].Phase);
        Assert.Equal(DashScopeTaskState.Pending, context.Progress[^1].ProviderState);
    }

    [Fact]
    public async Task A_cancel_refused_for_good_ends_the_job_with_the_providers_code()
    {
        var denied = new JobError("AccessDenied", "Access denied.", JobErrorSource.Provider);
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Pending)
            .Answer(WorkflowNames.CancelVideoTask, new CancelOutcome(false, Error: denied))
            .CancelAtTimer(2);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Failed, result.Outcome);
        Assert.Equal(denied, result.Error);
        Assert.Single(context.CallsTo(WorkflowNames.CheckVideoTask));
    }

    [Fact]
    public async Task At_the_deadline_a_cancel_refused_for_good_ends_the_job_with_the_providers_code()
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Always(WorkflowNames.CheckVideoTask, Running)
            .Always(WorkflowNames.CancelVideoTask, new CancelOutcome(false, Error: KeyRevoked));

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Failed, result.Outcome);
        Assert.Equal(KeyRevoked, result.Error);
        Assert.Equal(AcceptedAt + DefaultSchedule.Deadline, result.Timings.FinishedAt);
    }

    [Fact]
    public async Task An_archive_look_up_refused_for_good_ends_the_job_with_the_providers_code_and_keeps_the_usage()
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Succeeded)
            .Answer(WorkflowNames.ArchiveVideo, new ArchiveOutcome(null, KeyRevoked));

        var result = await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Equal(JobOutcome.Failed, result.Outcome);
        Assert.Equal(KeyRevoked, result.Error);
        Assert.Null(result.Video);
        Assert.Equal(Usage, result.Usage);
        Assert.Single(context.CallsTo(WorkflowNames.ArchiveVideo));
    }
}
