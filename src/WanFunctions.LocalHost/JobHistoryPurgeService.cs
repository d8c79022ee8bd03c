using Microsoft.DurableTask.Client;
using WanFunctions.Workflow;

namespace WanFunctions.LocalHost;

/// <summary>The local host's counterpart of the Functions app's hourly PurgeJobHistory timer (one bounded run per period).</summary>
sealed class JobHistoryPurgeService(JobHistoryPurger purger, DurableTaskClient client, ILogger<JobHistoryPurgeService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(JobHistoryPurger.Interval);
        do
        {
            try
            {
                await purger.PurgeAsync(client, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log.LogWarning(ex, "Purging old job history failed; trying again next period");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
