using Microsoft.DurableTask;
using WanFunctions.Workflow;

namespace WanFunctions.LocalHost;

/// <summary>
/// Runs a shared workflow activity (<see cref="WorkflowRegistry.Activities"/>) as a Durable Task SDK activity (the
/// Functions app has its own thin adapters). The SDK deserializes the input as <see cref="ITaskActivity.InputType"/>.
/// It hands activities no cancellation token; <paramref name="stopping"/> (the host's ApplicationStopping) plays the role
/// of the Functions host's, so a shutdown ends in-flight I/O instead of leaving it running.
/// </summary>
internal sealed class SdkActivity(WorkflowActivity activity, IServiceProvider services, CancellationToken stopping) : ITaskActivity
{
    public Type InputType => activity.InputType;

    public Type OutputType => activity.OutputType;

    public Task<object?> RunAsync(TaskActivityContext context, object? input) => activity.RunAsync(services, input, stopping);
}
