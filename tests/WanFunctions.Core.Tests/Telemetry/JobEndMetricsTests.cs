using WanFunctions.Core.Tests.Workflow;
using WanFunctions.Telemetry;
using WanFunctions.Workflow;
using static WanFunctions.Core.Tests.Workflow.WorkflowData;

namespace WanFunctions.Core.Tests.Telemetry;

public sealed class JobEndMetricsTests
{
    private static OrchestrationContextFake FinishingContext(bool replaying)
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Pending, Succeeded)
            .Answer(WorkflowNames.ArchiveVideo, Archived);
        context.Mock.SetupGet(c => c.IsReplaying).Returns(replaying);
        return context;
    }

    [Fact]
    public async Task A_finished_job_is_counted_once_by_outcome_model_and_error_code_with_its_polls()
    {
        var context = FinishingContext(replaying: false);

        var jobs = await Measurements.OnThisFlowAsync(WorkflowTelemetry.Jobs,
            () => new VideoJobOrchestration().RunAsync(context.Object, Input()));
        var polls = await Measurements.OnThisFlowAsync(WorkflowTelemetry.PollsPerJob,
            () => new VideoJobOrchestration().RunAsync(FinishingContext(replaying: false).Object, Input()));

        var counted = Assert.Single(jobs);
        Assert.Equal(1, counted.Value);
        Assert.Equal("Succeeded", counted.Tags[WorkflowTelemetry.Tags.Outcome]);
        Assert.Equal(Input().Job.Model, counted.Tags[WorkflowTelemetry.Tags.Model]);
        Assert.Equal("none", counted.Tags[WorkflowTelemetry.Tags.ErrorCode]);
        Assert.Equal(2, Assert.Single(polls).Value);
    }

    [Fact]
    public async Task A_replay_of_the_end_records_nothing()
    {
        var context = FinishingContext(replaying: true);

        var jobs = await Measurements.OnThisFlowAsync(WorkflowTelemetry.Jobs,
            () => new VideoJobOrchestration().RunAsync(context.Object, Input()));

        Assert.Empty(jobs);
    }

    [Fact]
    public async Task Billed_seconds_are_recorded_estimated_and_as_the_provider_reported_them()
    {
        var billed = await Measurements.OnThisFlowAsync(WorkflowTelemetry.BilledSeconds,
            () => new VideoJobOrchestration().RunAsync(FinishingContext(replaying: false).Object, Input()));

        Assert.Contains(billed, m => m.Tags[WorkflowTelemetry.Tags.BillingKind] == "estimated" && m.Value > 0);
        Assert.Contains(billed, m => m.Tags[WorkflowTelemetry.Tags.BillingKind] == "reported" && m.Value == Usage.Duration);
    }
}
