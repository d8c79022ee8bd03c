using Microsoft.DurableTask;
using WanFunctions.Workflow.Activities;

namespace WanFunctions.LocalHost;

/// <summary>
/// Runs a shared workflow activity as a Durable Task SDK activity (the Functions app has its own thin adapters).
/// The SDK hands activities no cancellation token; <paramref name="stopping"/> (the host's ApplicationStopping) plays
/// the role of the Functions host's, so a shutdown ends in-flight I/O instead of leaving it running.
/// </summary>
sealed class SdkActivity<TInput, TOutput>(IWorkflowActivity<TInput, TOutput> activity, CancellationToken stopping) : TaskActivity<TInput, TOutput>
{
    public override Task<TOutput> RunAsync(TaskActivityContext context, TInput input) =>
        activity.RunAsync(input, stopping);
}
