using Azure.Data.Tables;
using DashScope.Simulator;
using Microsoft.Extensions.DependencyInjection;
using WanFunctions.Capacity;
using WanFunctions.Workflow;

namespace WanFunctions.Bench;

/// <summary>
/// Where a slot's time goes between two provider tasks behind the capacity gate, from three sources: the simulator
/// (each task's submit and end, the request log's queries), and the orchestration history in the Azure Storage
/// backend's <c>{hub}History</c> table (each event's own <c>_Timestamp</c>: when the orchestrator scheduled an
/// activity, when the activity's result was written, when the wake event was raised). Medians over the jobs.
/// </summary>
public static class RoundBreakdown
{
    /// <summary>One step of a round, with the median and how many jobs it was seen in.</summary>
    public sealed record Step(string Name, double MedianSeconds, int Samples);

    public static async Task<IReadOnlyList<Step>> MeasureAsync(string storage, string hub, IReadOnlyDictionary<string, string> promptByJob,
        SimulatorHost sim)
    {
        var table = new TableClient(storage, hub + "History");
        var tasks = sim.Services.GetRequiredService<TaskStore>().All.ToDictionary(t => t.Prompt, StringComparer.Ordinal);
        var queries = sim.Requests.Where(r => r.Method == "GET" && r.Path.StartsWith("/api/v1/tasks/", StringComparison.Ordinal))
            .ToLookup(r => r.Path["/api/v1/tasks/".Length..], r => r.Timestamp.UtcDateTime, StringComparer.Ordinal);

        List<double> detect = [], toRelease = [], release = [], wakeToNext = [], acquire = [], grantToSubmit = [], submitted = [];
        int renewals = 0, wokenDirect = 0;
        foreach (var (jobId, prompt) in promptByJob)
        {
            if (!tasks.TryGetValue(prompt, out var task))
            {
                continue;
            }

            var events = await ReadAsync(table, jobId);
            var ended = (task.SubmitTime + task.PendingDuration + task.RunningDuration).UtcDateTime;
            var detectedAt = queries[task.Id].Where(t => t >= ended).Order().FirstOrDefault();
            if (detectedAt != default)
            {
                detect.Add((detectedAt - ended).TotalSeconds);
            }

            if (Activity(events, WorkflowNames.ReleaseCapacity).FirstOrDefault() is { } released)
            {
                if (detectedAt != default)
                {
                    toRelease.Add((released.Scheduled - detectedAt).TotalSeconds);
                }

                if (released.Completed is { } releasedAt)
                {
                    release.Add((releasedAt - released.Scheduled).TotalSeconds);
                }
            }

            renewals += Activity(events, WorkflowNames.RenewCapacityLease).Count();
            if (Activity(events, WorkflowNames.SubmitVideoTask).LastOrDefault() is not { } submit)
            {
                continue;
            }

            // How the job got its slot: from the wake event (the grant in its payload), or an AcquireCapacity that granted it.
            var woken = events.LastOrDefault(e => e.Type == "EventRaised" && e.Name == DurableClientJobWaker.EventName && e.At <= submit.Scheduled);
            var granting = Activity(events, WorkflowNames.AcquireCapacity).LastOrDefault(a => a.Scheduled <= submit.Scheduled);
            if (woken is not null && (granting is null || granting.Scheduled < woken.At))
            {
                wokenDirect++;
                wakeToNext.Add((submit.Scheduled - woken.At).TotalSeconds);
            }
            else if (granting is { Completed: { } grantedAt })
            {
                if (woken is not null)
                {
                    wakeToNext.Add((granting.Scheduled - woken.At).TotalSeconds);
                }

                acquire.Add((grantedAt - granting.Scheduled).TotalSeconds);
                grantToSubmit.Add((submit.Scheduled - grantedAt).TotalSeconds);
            }

            submitted.Add((task.SubmitTime.UtcDateTime - submit.Scheduled).TotalSeconds);
        }

        return
        [
            new("provider SUCCEEDED → the job's query that sees it (poll schedule)", Median(detect), detect.Count),
            new("that query → ReleaseCapacity scheduled (check result → orchestrator)", Median(toRelease), toRelease.Count),
            new("ReleaseCapacity scheduled → done (dispatch, gate blob, wake events)", Median(release), release.Count),
            new("wake event raised → woken job's next step scheduled (SubmitVideoTask with the event's grant, else AcquireCapacity)", Median(wakeToNext), wakeToNext.Count),
            new("jobs that submitted on the wake event's grant, without another AcquireCapacity", wokenDirect, promptByJob.Count),
            new("AcquireCapacity scheduled → done, when it granted (jobs not woken)", Median(acquire), acquire.Count),
            new("that grant → SubmitVideoTask scheduled (submit-rate spacing, orchestrator)", Median(grantToSubmit), grantToSubmit.Count),
            new("SubmitVideoTask scheduled → accepted by the provider (dispatch, intent record, POST)", Median(submitted), submitted.Count),
            new("lease renewals per job (RenewCapacityLease calls)", promptByJob.Count == 0 ? 0 : (double)renewals / promptByJob.Count, promptByJob.Count),
        ];
    }

    private static double Median(List<double> values) => values.Count == 0 ? double.NaN : Stats.Median(values);

    private sealed record HistoryEvent(string Type, string? Name, int EventId, int? TaskScheduledId, DateTime At);

    private sealed record ActivityRun(DateTime Scheduled, DateTime? Completed);

    private static IEnumerable<ActivityRun> Activity(List<HistoryEvent> events, string name) =>
        events.Where(e => e.Type == "TaskScheduled" && e.Name == name).Select(s => new ActivityRun(s.At,
            events.FirstOrDefault(c => c.Type == "TaskCompleted" && c.TaskScheduledId == s.EventId)?.At));

    private static async Task<List<HistoryEvent>> ReadAsync(TableClient table, string jobId)
    {
        var events = new List<HistoryEvent>();
        await foreach (var row in table.QueryAsync<TableEntity>(e => e.PartitionKey == jobId))
        {
            if (row.GetString("EventType") is { } type && row.GetDateTime("_Timestamp") is { } at)
            {
                events.Add(new HistoryEvent(type, row.GetString("Name"), row.GetInt32("EventId") ?? -1, row.GetInt32("TaskScheduledId"),
                    at.ToUniversalTime()));
            }
        }

        return events.OrderBy(e => e.At).ToList();
    }
}
