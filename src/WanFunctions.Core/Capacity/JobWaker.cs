using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace WanFunctions.Capacity;

/// <summary>Tells jobs that the gate granted them a slot (the "capacity-granted" external event).</summary>
public interface IJobWaker
{
    /// <summary>
    /// Wakes each job with its grant (the holder record the gate just wrote) as the event's payload. Best effort: a lost
    /// wake costs the job at most its re-check interval (<see cref="GateOptions.MaxRecheckInterval"/>).
    /// </summary>
    public Task WakeAsync(IReadOnlyCollection<GateHolder> grants, CancellationToken cancellationToken);
}

/// <summary>
/// Raises the event through a <see cref="DurableTaskClient"/> (client-side, so no orchestration's SendEvent is involved).
/// The local host has the client in DI; the Functions app gets it from a <c>[DurableClient]</c> binding per call.
/// </summary>
public sealed partial class DurableClientJobWaker(DurableTaskClient client, ILogger log) : IJobWaker
{
    public const string EventName = "capacity-granted";

    public async Task WakeAsync(IReadOnlyCollection<GateHolder> grants, CancellationToken cancellationToken)
    {
        foreach (var grant in grants)
        {
            try
            {
                await client.RaiseEventAsync(grant.JobId, EventName, grant, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogWakeFailed(log, grant.JobId, ex.GetType().Name);
            }
        }
    }
}

// Log lines: ids, states and codes only, never a URL or a key.
public sealed partial class DurableClientJobWaker
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not wake job {JobId} for its slot ({Error}); it will look again on its own")]
    private static partial void LogWakeFailed(ILogger logger, string jobId, string error);
}
