using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using WanFunctions.Workflow;

namespace WanFunctions.App.Functions;

/// <summary>Once a day, deletes the durable history of jobs that finished longer ago than Workflow:HistoryRetention.</summary>
public sealed class PurgeJobHistoryFunction(JobHistoryPurger purger)
{
    [Function("PurgeJobHistory")]
    public Task Run(
        [TimerTrigger("0 30 3 * * *")] TimerInfo timer,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        purger.PurgeAsync(client, cancellationToken);
}
