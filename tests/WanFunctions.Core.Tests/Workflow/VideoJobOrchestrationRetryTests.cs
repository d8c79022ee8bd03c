using Microsoft.DurableTask;
using WanFunctions.DashScope;
using WanFunctions.Workflow;
using static WanFunctions.Core.Tests.Workflow.WorkflowData;

namespace WanFunctions.Core.Tests.Workflow;

/// <summary>The retry policies handed to the activities.</summary>
public class VideoJobOrchestrationRetryTests
{
    /// <summary>
    /// Whether the policy retries an activity that threw <paramref name="exceptionType"/>. The runtime hands the policy
    /// the core TaskFailedException; <see cref="RetryPolicy.HandleFailure"/> sees it as <see cref="TaskFailureDetails"/>
    /// whose ErrorType (a full type name) IsCausedBy resolves among the loaded assemblies.
    /// </summary>
    private static bool Retries(RetryPolicy policy, Type exceptionType) => policy.Handle(
        new DurableTask.Core.Exceptions.TaskFailedException(1, 1, "activity", "", "failed", null)
        {
            FailureDetails = new DurableTask.Core.FailureDetails(exceptionType.FullName!, "boom", null, null, false),
        });

    private static async Task<OrchestrationContextFake> RunHappyPathAsync(PollingSchedule? schedule = null)
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Succeeded)
            .Answer(WorkflowNames.ArchiveVideo, Archived);
        await new VideoJobOrchestration().RunAsync(context.Object, Input(schedule));
        return context;
    }

    private static RetryPolicy PolicyOf(OrchestrationContextFake context, string activity)
    {
        var options = context.CallsTo(activity).First().Options;
        Assert.NotNull(options?.Retry?.Policy);
        return options.Retry.Policy;
    }

    [Fact]
    public async Task Submit_retries_with_the_schedules_attempts_and_interval_until_the_deadline()
    {
        var schedule = DefaultSchedule with { SubmitAttempts = 4, RetryInterval = TimeSpan.FromSeconds(7) };

        var policy = PolicyOf(await RunHappyPathAsync(schedule), WorkflowNames.SubmitVideoTask);

        Assert.Equal(4, policy.MaxNumberOfAttempts);
        Assert.Equal(TimeSpan.FromSeconds(7), policy.FirstRetryInterval);
        Assert.Equal(2.0, policy.BackoffCoefficient);
        Assert.Equal(TimeSpan.FromMinutes(1), policy.MaxRetryInterval);
        Assert.Equal(schedule.Deadline, policy.RetryTimeout);
    }

    [Fact]
    public async Task Submit_retries_provider_faults_only()
    {
        var policy = PolicyOf(await RunHappyPathAsync(), WorkflowNames.SubmitVideoTask);

        Assert.True(Retries(policy, typeof(DashScopeException)));
        Assert.False(Retries(policy, typeof(InvalidOperationException)));
        Assert.False(Retries(policy, typeof(ArchiveRejectedException)));
    }

    [Fact]
    public async Task Submit_retries_an_attempt_cut_short_by_shutdown_or_storage_because_its_rerun_settles_instead_of_resubmitting()
    {
        var policy = PolicyOf(await RunHappyPathAsync(), WorkflowNames.SubmitVideoTask);

        Assert.True(Retries(policy, typeof(OperationCanceledException)));
        Assert.True(Retries(policy, typeof(TaskCanceledException)));
        Assert.True(Retries(policy, typeof(Azure.RequestFailedException)));
        Assert.False(Retries(policy, typeof(NullReferenceException)));
    }

    [Fact]
    public async Task Query_retries_provider_faults_only_three_times()
    {
        var policy = PolicyOf(await RunHappyPathAsync(), WorkflowNames.CheckVideoTask);

        Assert.Equal(3, policy.MaxNumberOfAttempts);
        Assert.Equal(DefaultSchedule.RetryInterval, policy.FirstRetryInterval);
        Assert.True(Retries(policy, typeof(DashScopeException)));
        Assert.False(Retries(policy, typeof(InvalidOperationException)));
    }

    [Fact]
    public async Task Query_does_not_retry_a_plain_http_failure()
    {
        var policy = PolicyOf(await RunHappyPathAsync(), WorkflowNames.CheckVideoTask);

        Assert.False(Retries(policy, typeof(HttpRequestException)));
    }

    [Fact]
    public async Task Archive_retries_everything_but_a_rejected_video()
    {
        var policy = PolicyOf(await RunHappyPathAsync(), WorkflowNames.ArchiveVideo);

        Assert.Equal(4, policy.MaxNumberOfAttempts);
        Assert.True(Retries(policy, typeof(IOException)));
        Assert.True(Retries(policy, typeof(DashScopeException)));
        Assert.False(Retries(policy, typeof(ArchiveRejectedException)));
    }

    [Fact]
    public async Task Archive_retries_a_failed_download()
    {
        var policy = PolicyOf(await RunHappyPathAsync(), WorkflowNames.ArchiveVideo);

        Assert.True(Retries(policy, typeof(HttpRequestException)));
    }

    [Fact]
    public async Task Cancel_retries_provider_faults_only()
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CancelVideoTask, new CancelOutcome(true))
            .CancelAtTimer(1);
        await new VideoJobOrchestration().RunAsync(context.Object, Input());

        var policy = PolicyOf(context, WorkflowNames.CancelVideoTask);

        Assert.Equal(3, policy.MaxNumberOfAttempts);
        Assert.True(Retries(policy, typeof(DashScopeException)));
        Assert.False(Retries(policy, typeof(InvalidOperationException)));
    }
}
