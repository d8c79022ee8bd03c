using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using WanFunctions.Workflow;

namespace WanFunctions.App.Functions;

/// <summary>
/// Every hour, deletes the durable history of jobs that finished longer ago than Workflow:HistoryRetention, at most
/// Workflow:PurgeBatchSize of them per run (the rest wait for the next run).
/// </summary>
public sealed class PurgeJobHistoryFunction(JobHistoryPurger purger)
{
    [Function("PurgeJobHistory")]
    public Task Run(
        [TimerTrigger(JobHistoryPurger.Schedule)] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        purger.PurgeAsync(client, cancellationToken);
}
