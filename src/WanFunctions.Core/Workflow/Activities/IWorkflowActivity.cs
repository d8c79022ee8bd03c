namespace WanFunctions.Workflow.Activities;

/// <summary>
/// An activity's work, free of any host: the Functions app calls it from an <c>[ActivityTrigger]</c>,
/// the local host from a Durable Task SDK activity. Every implementation is safe to run twice and is listed
/// once in <see cref="WorkflowRegistry.Activities"/>.
/// </summary>
public interface IWorkflowActivity<in TInput, TOutput>
{
    public Task<TOutput> RunAsync(TInput input, CancellationToken cancellationToken);
}
