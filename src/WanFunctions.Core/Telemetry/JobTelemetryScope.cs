using Microsoft.Extensions.Logging;

namespace WanFunctions.Telemetry;

/// <summary>
/// The job an activity runs for, set by the host around each activity run: log lines written inside carry
/// <c>JobId</c> in their scope (exported as an attribute), and spans of steps whose input names only the provider task
/// (check, cancel) get <see cref="WorkflowTelemetry.Tags.JobId"/> from <see cref="CurrentJobId"/>. The job id is the
/// orchestration's instance id.
/// </summary>
public static class JobTelemetryScope
{
    /// <summary>The scope key log lines carry.</summary>
    public const string JobIdKey = "JobId";

    private static readonly AsyncLocal<string?> Current = new();

    /// <summary>The job of the activity running on this async flow, or null outside one.</summary>
    public static string? CurrentJobId => Current.Value;

    /// <summary>
    /// Enters the job's scope until disposed. Call it from an async method, so the job id flows only into the work it
    /// awaits.
    /// </summary>
    public static IDisposable Begin(ILogger logger, string jobId)
    {
        ArgumentNullException.ThrowIfNull(logger);
        var previous = Current.Value;
        Current.Value = jobId;
        var scope = logger.BeginScope(new[] { new KeyValuePair<string, object?>(JobIdKey, jobId) });
        return new Exit(previous, scope);
    }

    private sealed class Exit(string? previous, IDisposable? scope) : IDisposable
    {
        public void Dispose()
        {
            scope?.Dispose();
            Current.Value = previous;
        }
    }
}
