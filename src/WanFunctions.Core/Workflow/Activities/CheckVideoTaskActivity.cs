using System.Diagnostics;
using Microsoft.Extensions.Logging;
using WanFunctions.Capacity;
using WanFunctions.DashScope;
using WanFunctions.Telemetry;

namespace WanFunctions.Workflow.Activities;

/// <summary>
/// One look at the provider task. The signed video URL is left out on purpose: it must not enter history.
/// A permanent refusal of the query (401 <c>InvalidApiKey</c>, 403 <c>AccessDenied</c>, 400 <c>Arrearage</c>…) comes back
/// as <see cref="TaskCheck.Error"/>, since another try cannot help; transient faults (429, 5xx, timeouts) are thrown for
/// the orchestration's retry policy. The query goes with the key of the account that accepted the task. Traced as
/// <c>wan.check</c>; the look that finds the task final records the provider's generation time and how late the poll
/// saw it (<see cref="WorkflowTelemetry.DetectionLatency"/>). That look also gives back the job's gate slot when the
/// input names it (<see cref="ProviderTaskRef.ReleaseWhenFinal"/>), through <see cref="ReleaseCapacityActivity"/>, which
/// wakes the next job: safe to run twice (release is by job id, a second one finds nothing to free). A failed release
/// is logged and the answer still returned: the orchestrator's own release follows, and the lease bounds the rest.
/// </summary>
public sealed partial class CheckVideoTaskActivity(IDashScopeClientFactory clients, TimeProvider? time = null,
    ReleaseCapacityActivity? release = null, ILogger<CheckVideoTaskActivity>? log = null) : IWorkflowActivity<ProviderTaskRef, TaskCheck>
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public Task<TaskCheck> RunAsync(ProviderTaskRef task, CancellationToken cancellationToken) => RunAsync(task, null, cancellationToken);

    /// <summary>One look; <paramref name="jobWaker"/> wakes the jobs a release grants (null: the release activity's own).</summary>
    /// <remarks>The Functions app passes the waker per call (a <c>[DurableClient]</c> binding); the local host injects one.</remarks>
    public Task<TaskCheck> RunAsync(ProviderTaskRef task, IJobWaker? jobWaker, CancellationToken cancellationToken) =>
        WorkflowTelemetry.TraceAsync("check", JobTelemetryScope.CurrentJobId, async span =>
        {
            ArgumentNullException.ThrowIfNull(task);
            span.SetSafeTag(WorkflowTelemetry.Tags.TaskId, task.TaskId);
            span.SetSafeTag(WorkflowTelemetry.Tags.Account, task.Account);
            await EarlyTimers.WaitUntilAsync(task.NotBefore, _time, cancellationToken);
            DashScopeTaskStatus status;
            try
            {
                status = await clients.ClientOf(task.Account).GetTaskAsync(task.TaskId, cancellationToken);
            }
            catch (DashScopeException ex) when (!ex.IsTransient)
            {
                span.SetErrorCode(ex.Code);
                return new TaskCheck(DashScopeTaskState.Unknown, Error: JobError.FromProvider(ex));
            }

            span.SetSafeTag(WorkflowTelemetry.Tags.ProviderState, status.RawState ?? status.State.ToString().ToUpperInvariant());
            if (status.State.IsTerminal())
            {
                RecordEnd(span, status, _time.GetUtcNow());
                if (task.ReleaseWhenFinal is { } slot)
                {
                    await ReleaseAsync(slot, jobWaker, cancellationToken);
                }
            }

            return new TaskCheck(status.State, status.Code, status.Message, status.Usage, status.RawState,
                SubmitTime: status.SubmitTime?.UtcDateTime, ScheduledTime: status.ScheduledTime?.UtcDateTime, EndTime: status.EndTime?.UtcDateTime);
        });

    /// <summary>Gives the slot back; a failure costs only the early hand-over (the orchestrator releases again).</summary>
    private async Task ReleaseAsync(CapacityRequest slot, IJobWaker? jobWaker, CancellationToken cancellationToken)
    {
        if (release is null)
        {
            return; // a host without the gate's activities: the orchestrator's release does it
        }

        try
        {
            await (jobWaker is null ? release.RunAsync(slot, cancellationToken) : release.RunAsync(slot, jobWaker, cancellationToken));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (log is not null)
            {
                LogReleaseFailed(log, slot.JobId, ex.GetType().Name);
            }
        }
    }

    /// <summary>
    /// Generation time (end − scheduled, else − submitted) and detection latency (now − end), when the provider gave the
    /// times: as metrics, and on the span (<see cref="WorkflowTelemetry.Tags.GenerationSeconds"/>,
    /// <see cref="WorkflowTelemetry.Tags.DetectionSeconds"/>) for percentiles per job.
    /// </summary>
    private static void RecordEnd(Activity? span, DashScopeTaskStatus status, DateTimeOffset now)
    {
        if (status.EndTime is not { } end)
        {
            return;
        }

        var state = new KeyValuePair<string, object?>(WorkflowTelemetry.Tags.ProviderState, status.State.ToString().ToUpperInvariant());
        if ((status.ScheduledTime ?? status.SubmitTime) is { } start && end >= start)
        {
            var generation = (end - start).TotalSeconds;
            WorkflowTelemetry.GenerationTime.Record(generation, state);
            span?.SetTag(WorkflowTelemetry.Tags.GenerationSeconds, generation);
        }

        // The provider's clock and ours differ a little: a negative latency is clock skew, counted as none.
        var detection = Math.Max(0, (now - end).TotalSeconds);
        WorkflowTelemetry.DetectionLatency.Record(detection, state);
        span?.SetTag(WorkflowTelemetry.Tags.DetectionSeconds, detection);
    }
}

// Log lines: ids, states and codes only, never a URL or a key.
public sealed partial class CheckVideoTaskActivity
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the slot was not given back when its task ended ({Error}); the job's own release follows")]
    private static partial void LogReleaseFailed(ILogger logger, string jobId, string error);
}
