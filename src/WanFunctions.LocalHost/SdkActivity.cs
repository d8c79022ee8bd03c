using Microsoft.DurableTask;
using WanFunctions.Workflow.Activities;

namespace WanFunctions.LocalHost;

/// <summary>Runs a shared workflow activity as a Durable Task SDK activity (the Functions app has its own thin adapters).</summary>
sealed class SdkActivity<TInput, TOutput>(IWorkflowActivity<TInput, TOutput> activity) : TaskActivity<TInput, TOutput>
{
    public override Task<TOutput> RunAsync(TaskActivityContext context, TInput input) =>
        activity.RunAsync(input, CancellationToken.None);
}
