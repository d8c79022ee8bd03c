using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using WanFunctions.Capacity;
using WanFunctions.Workflow.Activities;

namespace WanFunctions.Workflow;

/// <summary>
/// Every durable task of the workflow, listed once: its durable name (<see cref="WorkflowNames"/>), the class that does
/// the work, and the types that cross the durable boundary. The local host registers from this list, DI registers the
/// activity classes from it (<see cref="WanFunctionsServiceCollectionExtensions.AddWanFunctions"/>), and a test checks the
/// Functions app's hand-written adapters against it (tests/WanFunctions.App.Tests). Adding an activity: its class, its
/// contract, a line here, the orchestrator's call, and the Functions adapter the test then asks for.
/// </summary>
public static class WorkflowRegistry
{
    public static WorkflowOrchestrator Orchestrator { get; } =
        WorkflowOrchestrator.Of<VideoJobOrchestration, VideoJobInput, JobResult>(WorkflowNames.Orchestrator);

    public static IReadOnlyList<WorkflowActivity> Activities { get; } =
    [
        WorkflowActivity.Of<SubmitVideoTaskActivity, SubmitVideoTaskInput, SubmitOutcome>(WorkflowNames.SubmitVideoTask),
        WorkflowActivity.Of<CheckVideoTaskActivity, ProviderTaskRef, TaskCheck>(WorkflowNames.CheckVideoTask),
        WorkflowActivity.Of<CancelVideoTaskActivity, ProviderTaskRef, CancelOutcome>(WorkflowNames.CancelVideoTask),
        WorkflowActivity.Of<ArchiveVideoActivity, ArchiveVideoInput, ArchiveOutcome>(WorkflowNames.ArchiveVideo),
        WorkflowActivity.Of<NotifyCallbackActivity, CallbackInput, bool>(WorkflowNames.NotifyCallback),
        WorkflowActivity.Of<AcquireCapacityActivity, CapacityRequest, CapacityAnswer>(WorkflowNames.AcquireCapacity),
        WorkflowActivity.Of<ReleaseCapacityActivity, CapacityRequest, bool>(WorkflowNames.ReleaseCapacity),
        WorkflowActivity.Of<RenewCapacityLeaseActivity, CapacityRequest, DateTime>(WorkflowNames.RenewCapacityLease),
        WorkflowActivity.Of<ReportThrottledActivity, CapacityRequest, CapacityAnswer>(WorkflowNames.ReportThrottled),
        WorkflowActivity.Of<GetPollPlanActivity, string, PollPlan>(WorkflowNames.GetPollPlan),
        WorkflowActivity.Of<RecordPollSampleActivity, PollSampleInput, bool>(WorkflowNames.RecordPollSample),
    ];
}

/// <summary>The orchestrator: durable name, <see cref="TaskOrchestrator{TInput, TOutput}"/> class, input and output types.</summary>
public sealed record WorkflowOrchestrator(string Name, Type ImplementationType, Type InputType, Type OutputType)
{
    public static WorkflowOrchestrator Of<TOrchestrator, TInput, TOutput>(string name)
        where TOrchestrator : TaskOrchestrator<TInput, TOutput> =>
        new(name, typeof(TOrchestrator), typeof(TInput), typeof(TOutput));
}

/// <summary>
/// One activity: durable name, the <see cref="IWorkflowActivity{TInput, TOutput}"/> class (a DI singleton), and its input
/// and output types, which <see cref="Of"/> keeps in step with the class.
/// </summary>
public abstract record WorkflowActivity(string Name, Type ImplementationType, Type InputType, Type OutputType)
{
    public static WorkflowActivity Of<TActivity, TInput, TOutput>(string name)
        where TActivity : class, IWorkflowActivity<TInput, TOutput> => new Typed<TActivity, TInput, TOutput>(name);

    /// <summary>
    /// Runs the activity on <paramref name="input"/> (already deserialized as <see cref="InputType"/>) with the
    /// implementation resolved from <paramref name="services"/>: for a host that registers activities untyped.
    /// </summary>
    public abstract Task<object?> RunAsync(IServiceProvider services, object? input, CancellationToken cancellationToken);

    private sealed record Typed<TActivity, TInput, TOutput>(string Name)
        : WorkflowActivity(Name, typeof(TActivity), typeof(TInput), typeof(TOutput))
        where TActivity : class, IWorkflowActivity<TInput, TOutput>
    {
        public override async Task<object?> RunAsync(IServiceProvider services, object? input, CancellationToken cancellationToken) =>
            await services.GetRequiredService<TActivity>().RunAsync((TInput)input!, cancellationToken);
    }
}
