using Microsoft.DurableTask;
using WanFunctions.Telemetry;
using WanFunctions.Workflow;

namespace WanFunctions.LocalHost;

/// <summary>
/// Runs a shared workflow activity (<see cref="WorkflowRegistry.Activities"/>) as a Durable Task SDK activity (the
/// Functions app has its own thin adapters). The SDK deserializes the input as <see cref="ITaskActivity.InputType"/>.
/// It hands activities no cancellation token; <paramref name="stopping"/> (the host's ApplicationStopping) plays the role
/// of the Functions host's, so a shutdown ends in-flight I/O instead of leaving it running. Each run is in its job's
/// telemetry scope (<see cref="JobTelemetryScope"/>: the job id in log scopes and step spans).
/// </summary>
internal sealed class SdkActivity(WorkflowActivity activity, IServiceProvider services, CancellationToken stopping) : ITaskActivity
{
    private readonly ILogger logger = services.GetRequiredService<ILoggerFactory>().CreateLogger<SdkActivity>();

    public Type InputType => activity.InputType;

    public Type OutputType => activity.OutputType;

    public async Task<object?> RunAsync(TaskActivityContext context, object? input)
    {
        using var scope = JobTelemetryScope.Begin(logger, context.InstanceId);
        return await activity.RunAsync(services, input, stopping);
    }
}
