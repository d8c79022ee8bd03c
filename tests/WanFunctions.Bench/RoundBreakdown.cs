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
    /// <summary>One step of a round: its median, its 90th percentile (NaN for counts), and how many jobs it was seen in.</summary>
    public sealed record Step(string Name, double MedianSeconds, int Samples, double P90Seconds = double.NaN);

    public static async Task<IReadOnlyList<Step>> MeasureAsync(string storage, string hub, IReadOnlyDictionary<string, string> promptByJob,
        SimulatorHost sim, int slots)
    {
        var table = new TableClient(storage, hub + "History");
        var tasks = sim.Services.GetRequiredService<TaskStore>().All.ToDictionary(t => t.Prompt, StringComparer.Ordinal);
        var handOvers = HandOvers(tasks.Values, slots);
        var queries = sim.Requests.Where(r => r.Method == "GET" && r.Path.StartsWith("/api/v1/tasks/", StringComparison.Ordinal))
            .ToLookup(r => r.Path["/api/v1/tasks/".Length..], r => r.Timestamp.UtcDateTime, StringComparer.Ordinal);

        List<double> detect = [], toRelease = [], release = [], wakeToNext = [], acquire = [], grantToSubmit = [], submitted = [];
        List<double> queriesPerTask = [], firstQuery = [];
        List<DateTime> detections = [], wakes = [];
        int renewals = 0, wokenDirect = 0, atTheDoor = 0, learnedPlans = 0;
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
                detections.Add(detectedAt);
            }

            // What the poll schedule did: the task's queries before the archive's own look-up (the last one), the first.
            var looks = queries[task.Id].Order().ToList();
            queriesPerTask.Add(Math.Max(0, looks.Count - 1));
            if (looks.Count > 0)
            {
                firstQuery.Add((looks[0] - task.SubmitTime.UtcDateTime).TotalSeconds);
            }

            learnedPlans += events.Count(e => e.Type == "TaskCompleted" && e.Result?.Contains("\"runQuantiles\":[", StringComparison.Ordinal) == true);
            wakes.AddRange(events.Where(e => e.Type == "EventRaised" && e.Name == DurableClientJobWaker.EventName).Select(e => e.At));

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

            // How the job got its slot: from the wake event (the grant in its payload), an AcquireCapacity that granted it,
            // or neither: the gate granted it at the POST.
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
            else if (woken is null && granting is null)
            {
                atTheDoor++;
            }

            submitted.Add((task.SubmitTime.UtcDateTime - submit.Scheduled).TotalSeconds);
        }

        // Which query freed the slot a wake event hands on is not recorded: the latest query that saw a task final before it.
        detections.Sort();
        List<double> handOn = [];
        foreach (var wake in wakes)
        {
            var before = detections.FindLastIndex(d => d <= wake);
            if (before >= 0)
            {
                handOn.Add((wake - detections[before]).TotalSeconds);
            }
        }

        return
        [
            Timed("hand-over: a task's end → the next submit on its slot (all steps below)", handOvers),
            new("hand-over: the same, longest", handOvers.Count == 0 ? double.NaN : handOvers.Max(), handOvers.Count),
            Timed("provider queries per task before the archive's look-up (poll schedule)", queriesPerTask),
            Timed("first query after the provider accepted the task (poll schedule)", firstQuery),
            new("jobs that polled on a learned plan (GetPollPlan answered with run quantiles)", learnedPlans, promptByJob.Count),
            Timed("provider SUCCEEDED → the job's query that sees it (poll schedule)", detect),
            Timed("that query → the next job's wake event raised (release + wake; nearest earlier final-state query)", handOn),
            Timed("that query → ReleaseCapacity scheduled (a no-op once CheckVideoTask released the slot)", toRelease),
            Timed("ReleaseCapacity scheduled → done (dispatch, gate blob, wake events if still holding)", release),
            Timed("wake event raised → woken job's next step scheduled (SubmitVideoTask with the event's grant, else AcquireCapacity)", wakeToNext),
            new("jobs that submitted on the slot the gate granted at the POST (no AcquireCapacity, no wake)", atTheDoor, promptByJob.Count),
            new("jobs that submitted on the wake event's grant, without another AcquireCapacity", wokenDirect, promptByJob.Count),
            Timed("AcquireCapacity scheduled → done, when it granted (jobs not woken)", acquire),
            Timed("that grant → SubmitVideoTask scheduled (submit-rate spacing, orchestrator)", grantToSubmit),
            Timed("SubmitVideoTask scheduled → accepted by the provider (dispatch, intent record, POST)", submitted),
            new("lease renewals per job (RenewCapacityLease calls)", promptByJob.Count == 0 ? 0 : (double)renewals / promptByJob.Count, promptByJob.Count),
        ];
    }

    /// <summary>
    /// The mean hand-over of each round (slots of them a round), in round order: shows whether the idle time is spread
    /// over the batch or paid in its first rounds.
    /// </summary>
    public static IReadOnlyList<double> HandOverByRound(SimulatorHost sim, int slots) =>
        [.. HandOvers(sim.Services.GetRequiredService<TaskStore>().All, slots).Select((seconds, k) => (Round: k / slots, seconds))
            .GroupBy(h => h.Round).Select(g => g.Average(h => h.seconds))];

    /// <summary>Every hand-over in seconds, tails included: the k-th task to end frees the slot the (k + slots)-th submit takes.</summary>
    private static List<double> HandOvers(IEnumerable<SimTask> tasks, int slots)
    {
        var ends = tasks.Select(t => t.SubmitTime + t.PendingDuration + t.RunningDuration).Order().ToList();
        var starts = tasks.Select(t => t.SubmitTime).Order().ToList();
        return [.. ends.Take(Math.Max(0, starts.Count - slots)).Select((end, k) => (starts[k + slots] - end).TotalSeconds)];
    }

    private static double Median(List<double> values) => values.Count == 0 ? double.NaN : Stats.Median(values);

    private static Step Timed(string name, List<double> values) =>
        new(name, Median(values), values.Count, values.Count == 0 ? double.NaN : Stats.Percentile(values, 90));

    private sealed record HistoryEvent(string Type, string? Name, int EventId, int? TaskScheduledId, DateTime At, string? Result = null);

    private sealed record ActivityRun(DateTime Scheduled, DateTime? Completed);

    private static IEnumerable<ActivityRun> Activity(List<HistoryEvent> events, string name) =>
        events.Where(e => e.Type == "TaskScheduled" && e.Name == name).Select(s => new ActivityRun(s.At,
            events.FirstOrDefault(c => c.Type == "TaskCompleted" && c.TaskScheduledId == s.EventId)?.At));

    /// <summary>One job's history events (type, or the activity's name for TaskScheduled) in time order.</summary>
    public static async Task<IReadOnlyList<(string Name, DateTime At)>> TimelineAsync(string storage, string hub, string jobId) =>
        [.. (await ReadAsync(new TableClient(storage, hub + "History"), jobId))
            .Where(e => e.Type is not ("OrchestratorStarted" or "OrchestratorCompleted"))
            .Select(e => (e.Type == "TaskScheduled" ? e.Name ?? e.Type : e.Type, e.At))];

    private static async Task<List<HistoryEvent>> ReadAsync(TableClient table, string jobId)
    {
        var events = new List<HistoryEvent>();
        await foreach (var row in table.QueryAsync<TableEntity>(e => e.PartitionKey == jobId))
        {
            if (row.GetString("EventType") is { } type && row.GetDateTime("_Timestamp") is { } at)
            {
                events.Add(new HistoryEvent(type, row.GetString("Name"), row.GetInt32("EventId") ?? -1, row.GetInt32("TaskScheduledId"),
                    at.ToUniversalTime(), row.GetString("Result")));
            }
        }

        return events.OrderBy(e => e.At).ToList();
    }
}
