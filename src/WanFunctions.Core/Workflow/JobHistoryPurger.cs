using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace WanFunctions.Workflow;

/// <summary>
/// Deletes the durable history of finished jobs older than <see cref="WorkflowOptions.HistoryRetention"/>, so the
/// task hub's tables and blobs do not grow for ever. Running jobs are never touched; archived videos stay (the
/// storage lifecycle policy manages those).
/// </summary>
public sealed class JobHistoryPurger(IOptions<WorkflowOptions> options, TimeProvider time, ILogger<JobHistoryPurger> log)
{
    static readonly OrchestrationRuntimeStatus[] Finished =
    [
        OrchestrationRuntimeStatus.Completed,
        OrchestrationRuntimeStatus.Failed,
        OrchestrationRuntimeStatus.Terminated,
    ];

    public async Task<int> PurgeAsync(DurableTaskClient client, CancellationToken cancellationToken)
    {
        DateTimeOffset cutoff = time.GetUtcNow() - options.Value.HistoryRetention;
        // The Azure Storage backend wants a lower bound too; the Unix epoch predates every job.
        PurgeResult result = await client.PurgeAllInstancesAsync(
            new PurgeInstancesFilter(DateTimeOffset.UnixEpoch, cutoff, Finished), cancellationToken);
        log.LogInformation("Purged the history of {Count} finished jobs created before {Cutoff:O}", result.PurgedInstanceCount, cutoff);
        return result.PurgedInstanceCount;
    }
}
