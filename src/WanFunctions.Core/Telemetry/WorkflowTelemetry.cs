using System.Diagnostics;
using System.Diagnostics.Metrics;
using WanFunctions.DashScope;
using WanFunctions.Jobs;
using WanFunctions.Workflow;

namespace WanFunctions.Telemetry;

/// <summary>
/// The workflow's own traces and metrics: one <see cref="ActivitySource"/> and one <see cref="Meter"/>, both named
/// <see cref="Name"/>. Spans are started in the activities (each runs once per attempt, so a replay emits nothing twice)
/// as children of the host's span for the activity (the Durable Task SDK's <c>activity:…</c> span in the local host, the
/// Functions invocation in the app), which belong to the trace of the HTTP or blob start. Attribute values never carry a
/// key or a signed URL: every string goes through <see cref="SetSafeTag"/> (URLs cut at their query by
/// <see cref="UrlRedactor"/>).
/// </summary>
public static class WorkflowTelemetry
{
    /// <summary>The name of the activity source and of the meter (add both to an OpenTelemetry provider).</summary>
    public const string Name = "WanFunctions";

    /// <summary>Longest attribute value kept (provider messages are short; this bounds anything else).</summary>
    public const int MaxTagLength = 300;

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    /// <summary>Jobs ended, tagged <see cref="Tags.Outcome"/>, <see cref="Tags.Model"/>, <see cref="Tags.ErrorCode"/> (none when it succeeded).</summary>
    public static readonly Counter<long> Jobs = Meter.CreateCounter<long>("wan.jobs", "{job}", "Jobs ended, by outcome, model and error code.");

    /// <summary>Seconds from the POST (or blob start) to the provider's acceptance of the task: the wait for a slot of the account.</summary>
    public static readonly Histogram<double> QueueWait = Meter.CreateHistogram<double>("wan.job.queue_wait", "s",
        "Seconds from the job's start to the provider's acceptance of its task.");

    /// <summary>The provider's own generation time: its end_time minus scheduled_time (or submit_time), tagged by final state.</summary>
    public static readonly Histogram<double> GenerationTime = Meter.CreateHistogram<double>("wan.job.generation_time", "s",
        "Seconds the provider took to generate (end_time - scheduled_time), by final provider state.");

    /// <summary>Seconds from the provider's end_time to the query that saw the task final: what the poll schedule costs.</summary>
    public static readonly Histogram<double> DetectionLatency = Meter.CreateHistogram<double>("wan.job.detection_latency", "s",
        "Seconds from the provider's end_time to the query that saw the final state.");

    /// <summary>Queries made for one job (<c>timings.polls</c> of its result), tagged by outcome.</summary>
    public static readonly Histogram<long> PollsPerJob = Meter.CreateHistogram<long>("wan.job.polls", "{query}", "Provider queries made per job.");

    /// <summary>Every HTTP attempt to DashScope (retries included), tagged <see cref="Tags.Operation"/> and <see cref="Tags.StatusCode"/> (0: no answer).</summary>
    public static readonly Counter<long> ProviderCalls = Meter.CreateCounter<long>("wan.provider.calls", "{call}",
        "HTTP attempts to DashScope, by operation (submit, query, cancel, list) and status code (0 = no answer).");

    /// <summary>Bytes written to the archive (a video already archived is not counted again).</summary>
    public static readonly Counter<long> ArchiveBytes = Meter.CreateCounter<long>("wan.archive.bytes", "By", "Bytes of video archived.");

    /// <summary>Archive throughput per video, bytes a second from the first look-up to the commit.</summary>
    public static readonly Histogram<double> ArchiveThroughput = Meter.CreateHistogram<double>("wan.archive.throughput", "By/s",
        "Archive throughput per video (bytes / second).");

    /// <summary>
    /// Billed seconds, tagged <see cref="Tags.BillingKind"/>: <c>estimated</c> (the upper bound given at the POST) and
    /// <c>reported</c> (the provider's <c>usage.duration</c>), so the two can be compared.
    /// </summary>
    public static readonly Counter<double> BilledSeconds = Meter.CreateCounter<double>("wan.billed_seconds", "s",
        "Billed seconds: estimated (upper bound at the start) and reported (the provider's usage.duration).");

    /// <summary>Attribute names (OpenTelemetry's own where one exists).</summary>
    public static class Tags
    {
        public const string JobId = "wan.job.id";
        public const string TaskId = "wan.provider.task_id";
        public const string Model = "wan.model";
        public const string ProviderState = "wan.provider.state";
        public const string Account = "wan.account";
        public const string Outcome = "wan.job.outcome";
        public const string ErrorCode = "wan.error.code";
        public const string Operation = "wan.provider.operation";
        public const string BillingKind = "wan.billing.kind";
        public const string Bytes = "wan.archive.bytes";
        public const string GenerationSeconds = "wan.generation_time_s";
        public const string DetectionSeconds = "wan.detection_latency_s";
        public const string StatusCode = "http.response.status_code";
        public const string ErrorType = "error.type";
    }

    /// <summary>
    /// Records a finished job: <see cref="Jobs"/>, <see cref="PollsPerJob"/>, <see cref="QueueWait"/> (when a task was
    /// submitted) and <see cref="BilledSeconds"/> (estimated, and reported when the provider gave its usage). The
    /// orchestration calls it once, when it is not replaying.
    /// </summary>
    public static void RecordJobEnd(VideoJobInput input, JobResult result)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(result);
        var model = new KeyValuePair<string, object?>(Tags.Model, input.Job.Model);
        var outcome = new KeyValuePair<string, object?>(Tags.Outcome, result.Outcome.ToString());
        Jobs.Add(1, outcome, model, new KeyValuePair<string, object?>(Tags.ErrorCode, result.Error?.Code ?? "none"));
        PollsPerJob.Record(result.Timings.Polls, outcome, model);
        if (result.Timings.SubmittedAt is { } submittedAt)
        {
            QueueWait.Record(Math.Max(0, (submittedAt - input.AcceptedAt).TotalSeconds), model);
            BilledSeconds.Add((double)BillingEstimator.UpperBound(input.Job.Duration, input.Job.References), model,
                new KeyValuePair<string, object?>(Tags.BillingKind, "estimated"));
        }

        if (result.Usage?.Duration is { } reported)
        {
            BilledSeconds.Add(reported, model, new KeyValuePair<string, object?>(Tags.BillingKind, "reported"));
        }
    }

    /// <summary>
    /// Starts the span of one workflow step (<c>wan.submit</c>, <c>wan.check</c>, …) under the current span, tagged with
    /// the job id when known. Null when nothing listens.
    /// </summary>
    public static Activity? StartStep(string step, string? jobId)
    {
        var span = Source.StartActivity("wan." + step);
        span.SetSafeTag(Tags.JobId, jobId);
        return span;
    }

    /// <summary>
    /// Runs a step in its span: a thrown exception marks the span failed with the exception's type and its message
    /// (URLs redacted; no stack trace, which could carry data), then propagates.
    /// </summary>
    public static async Task<T> TraceAsync<T>(string step, string? jobId, Func<Activity?, Task<T>> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        using var span = StartStep(step, jobId);
        try
        {
            return await run(span);
        }
        catch (Exception ex) when (span is not null)
        {
            span.SetTag(Tags.ErrorType, ex.GetType().FullName);
            span.SetStatus(ActivityStatusCode.Error, Safe(ex.Message));
            throw;
        }
    }

    /// <summary>
    /// Sets a string attribute that is safe to export: URLs cut at their query (SAS tokens, signatures), at most
    /// <see cref="MaxTagLength"/> characters. Null or empty values are not set.
    /// </summary>
    public static void SetSafeTag(this Activity? span, string key, string? value)
    {
        if (span is null || string.IsNullOrEmpty(value))
        {
            return;
        }

        span.SetTag(key, Safe(value));
    }

    /// <summary>Marks a step that ended with an error code the workflow returns as data (a provider refusal, …).</summary>
    public static void SetErrorCode(this Activity? span, string? code)
    {
        if (span is null || string.IsNullOrEmpty(code))
        {
            return;
        }

        span.SetSafeTag(Tags.ErrorCode, code);
        span.SetStatus(ActivityStatusCode.Error, Safe(code));
    }

    /// <summary>The text as an attribute value: URLs redacted, cut to <see cref="MaxTagLength"/>.</summary>
    public static string Safe(string? text)
    {
        var redacted = UrlRedactor.RedactUrlsIn(text);
        return redacted.Length <= MaxTagLength ? redacted : redacted[..MaxTagLength];
    }
}
