using Microsoft.DurableTask.Client;
using WanFunctions.Workflow;

namespace WanFunctions.LocalHost;

/// <summary>The local host's counterpart of the Functions app's hourly PurgeJobHistory timer (one bounded run per period).</summary>
internal sealed partial class JobHistoryPurgeService(JobHistoryPurger purger, DurableTaskClient client, ILogger<JobHistoryPurgeService> log) : BackgroundService
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
                LogPurgeFailed(log, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}

// Log lines: ids, states and codes only, never a URL or a key.
internal sealed partial class JobHistoryPurgeService
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging old job history failed; trying again next period")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
