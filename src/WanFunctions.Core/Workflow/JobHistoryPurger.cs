using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace WanFunctions.Workflow;

/// <summary>
/// Deletes the durable history of finished jobs older than <see cref="WorkflowOptions.HistoryRetention"/>, so the
/// task hub's tables and blobs do not grow for ever. Running jobs are never touched; archived videos stay (the
/// storage lifecycle policy manages those). Each run is bounded: at most <see cref="WorkflowOptions.PurgeBatchSize"/>
/// instances and about <see cref="TimeBudget"/>, found page by page (one PurgeAllInstancesAsync over a backlog of
/// tens of thousands would outlast the timer), so a backlog is cleared over several hourly runs.
/// </summary>
public sealed partial class JobHistoryPurger(IOptions<WorkflowOptions> options, TimeProvider time, ILogger<JobHistoryPurger> log)
{
    /// <summary>The Functions timer's schedule (NCRONTAB): every hour at minute 30.</summary>
    public const string Schedule = "0 30 * * * *";

    /// <summary>The local host's period, the same as <see cref="Schedule"/>'s.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    /// <summary>No new page is started after this: well inside the hourly period and the Functions timeout.</summary>
    public static readonly TimeSpan TimeBudget = TimeSpan.FromMinutes(10);

    private const int PageSize = 100;
    private const int Parallelism = 8;

    private static readonly OrchestrationRuntimeStatus[] Finished =
    [
        OrchestrationRuntimeStatus.Completed,
        OrchestrationRuntimeStatus.Failed,
        OrchestrationRuntimeStatus.Terminated,
    ];

    /// <summary>
    /// One bounded run. Returns how many histories were purged and whether more finished jobs past the retention
    /// remain (the batch limit or the time budget ended the run, or a purge failed and will be tried again).
    /// A failing instance is logged and skipped, never fails the run.
    /// </summary>
    public async Task<JobHistoryPurgeResult> PurgeAsync(DurableTaskClient client, CancellationToken cancellationToken)
    {
        var limit = options.Value.PurgeBatchSize;
        var started = time.GetUtcNow();
        var cutoff = started - options.Value.HistoryRetention;
        var query = new OrchestrationQuery
        {
            // The Azure Storage backend wants a lower bound too; the Unix epoch predates every job.
            CreatedFrom = DateTimeOffset.UnixEpoch,
            CreatedTo = cutoff,
            Statuses = Finished,
            PageSize = Math.Min(PageSize, limit),
        };

        var counts = new PurgeCounts();
        var page = new List<string>(query.PageSize);
        var moreRemain = false;
        // Purging as pages go by is safe: the continuation token points past the last instance read.
        await foreach (var instance in client.GetAllInstancesAsync(query).WithCancellation(cancellationToken))
        {
            if (counts.Taken + page.Count >= limit || (page.Count == 0 && time.GetUtcNow() - started >= TimeBudget))
            {
                moreRemain = true;
                break;
            }

            page.Add(instance.InstanceId);
            if (page.Count == query.PageSize)
            {
                await PurgePageAsync(client, page, counts, cancellationToken);
                page.Clear();
            }
        }

        await PurgePageAsync(client, page, counts, cancellationToken);
        var result = new JobHistoryPurgeResult(counts.Purged, moreRemain || counts.Failed > 0);
        LogPurged(log, result.Purged, cutoff, counts.Failed, result.MoreRemain);
        return result;
    }

    private async Task PurgePageAsync(DurableTaskClient client, List<string> instanceIds, PurgeCounts counts, CancellationToken cancellationToken)
    {
        counts.Taken += instanceIds.Count;
        await Parallel.ForEachAsync(instanceIds, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (instanceId, token) =>
            {
                try
                {
                    var purged = await client.PurgeInstanceAsync(instanceId, token);
                    Interlocked.Add(ref counts.Purged, purged.PurgedInstanceCount);
                }
                catch (Exception ex) when (!token.IsCancellationRequested)
                {
                    Interlocked.Increment(ref counts.Failed);
                    LogPurgeFailed(log, ex, instanceId);
                }
            });
    }

    private sealed class PurgeCounts
    {
        public int Taken;
        public int Purged;
        public int Failed;
    }
}

/// <summary>What one purge run did: histories purged, and whether finished jobs past the retention remain for the next run.</summary>
public sealed record JobHistoryPurgeResult(int Purged, bool MoreRemain);

// Log lines: ids, states and codes only, never a URL or a key.
public sealed partial class JobHistoryPurger
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Purged the history of {Count} finished jobs created before {Cutoff:O} ({Failed} failed); more remain: {MoreRemain}")]
    private static partial void LogPurged(ILogger logger, int count, DateTimeOffset cutoff, int failed, bool moreRemain);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging the history of job {JobId} failed; the next run tries again")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception, string jobId);
}
