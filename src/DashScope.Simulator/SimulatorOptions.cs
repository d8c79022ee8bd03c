using Microsoft.Extensions.Options;

namespace DashScope.Simulator;

/// <summary>Which provider region the simulator pretends to be; it decides the model list and durations.</summary>
public enum SimulatorRegion
{
    /// <summary>Singapore: wan2.6-r2v-flash and wan2.6-r2v, 2–10 s.</summary>
    International,
    /// <summary>Beijing: same catalogue as International.</summary>
    Beijing,
    /// <summary>US (Virginia): only wan2.6-r2v, 5 or 10 s.</summary>
    Global,
}

/// <summary>Everything configurable about the simulator; bound from the <c>Simulator</c> configuration section.</summary>
public sealed class SimulatorOptions
{
    public const string SectionName = "Simulator";

    /// <summary>The only API key accepted in <c>Authorization: Bearer …</c>.</summary>
    public string ApiKey { get; set; } = "sim-key";

    public SimulatorRegion Region { get; set; } = SimulatorRegion.International;

    /// <summary>Fixed simulated PENDING time in seconds; null: drawn by the class model (<see cref="TimingModel"/>).</summary>
    public double? PendingSeconds { get; set; }

    /// <summary>Fixed simulated RUNNING time in seconds; null: drawn by the class model (<see cref="TimingModel"/>).</summary>
    public double? RunningSeconds { get; set; }

    /// <summary>Class model: the drawn total (PENDING + RUNNING) is kept within [Min, Max] seconds by clamping RUNNING.</summary>
    public double MinTotalSeconds { get; set; } = 60;

    public double MaxTotalSeconds { get; set; } = 300;

    /// <summary>Class model: σ of the log-normal noise of RUNNING around the class median (0.3: the middle 90 % span ×0.61–×1.64).</summary>
    public double RunningSigma { get; set; } = 0.3;

    /// <summary>Class model: PENDING is uniform in [0, this] seconds, drawn independently of RUNNING.</summary>
    public double MaxPendingSeconds { get; set; } = 60;

    /// <summary>Multiplies every simulated duration (0.01 turns 100 s into 1 s of wall clock).</summary>
    public double SpeedFactor { get; set; } = 1.0;

    /// <summary>Base seed of the per-task Random, so timings are reproducible run to run.</summary>
    public int RandomSeed { get; set; } = 12345;

    /// <summary>Limit of PENDING + RUNNING tasks; beyond it submit answers 429 Throttling.AllocationQuota.</summary>
    public int MaxConcurrentTasks { get; set; } = 5;

    /// <summary>Value of the Retry-After header on every 429.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Lifetime of a signed result URL, counted from the task's end_time.</summary>
    public TimeSpan VideoUrlTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>After this long a task id is forgotten and queries report UNKNOWN (the provider keeps 24 h).</summary>
    public TimeSpan TaskTtl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>0 = serve the embedded clip as is; otherwise pad it with a trailing <c>free</c> box to exactly this size.</summary>
    public long VideoSizeBytes { get; set; }

    /// <summary>HMAC key for result URL signatures.</summary>
    public string UrlSigningKey { get; set; } = "dashscope-simulator-signing-key";

    /// <summary>Base for video_url; null means "scheme and host of the query request".</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Offset of the provider's wall-clock timestamps (it reports China Standard Time, without a zone).</summary>
    public TimeSpan TimestampUtcOffset { get; set; } = TimeSpan.FromHours(8);

    /// <summary>Fault markers applied to every task, same syntax as in prompts, e.g. "[sim:slow=200]". Prompt markers win.</summary>
    public string? DefaultMarkers { get; set; }

    /// <summary>Deterministic failure rate: every Nth submitted task (N, 2N, …) ends FAILED; 0 disables it.</summary>
    public int FailEveryNthTask { get; set; }

    /// <summary>Error code used by <see cref="FailEveryNthTask"/>.</summary>
    public string FailEveryNthTaskCode { get; set; } = "InternalError.Algo";

    /// <summary>Maximum recorded requests kept in memory (oldest dropped first).</summary>
    public int MaxRecordedRequests { get; set; } = 10_000;
}

/// <summary>Start-up validation, so a bad configuration fails loudly instead of producing odd behaviour.</summary>
public sealed class SimulatorOptionsValidator : IValidateOptions<SimulatorOptions>
{
    public ValidateOptionsResult Validate(string? name, SimulatorOptions o)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(o.ApiKey))
        {
            errors.Add("ApiKey must not be empty.");
        }

        if (o.PendingSeconds is < 0)
        {
            errors.Add("PendingSeconds must be >= 0.");
        }

        if (o.RunningSeconds is < 0)
        {
            errors.Add("RunningSeconds must be >= 0.");
        }

        if (o.MinTotalSeconds < 0 || o.MaxTotalSeconds < o.MinTotalSeconds)
        {
            errors.Add("MinTotalSeconds must be >= 0 and <= MaxTotalSeconds.");
        }

        if (!(o.RunningSigma >= 0 && o.RunningSigma <= 2))
        {
            errors.Add("RunningSigma must be between 0 and 2.");
        }

        if (!(o.MaxPendingSeconds >= 0))
        {
            errors.Add("MaxPendingSeconds must be >= 0.");
        }

        if (!(o.SpeedFactor > 0))
        {
            errors.Add("SpeedFactor must be > 0.");
        }

        if (o.MaxConcurrentTasks < 1)
        {
            errors.Add("MaxConcurrentTasks must be >= 1.");
        }

        if (o.RetryAfterSeconds < 0)
        {
            errors.Add("RetryAfterSeconds must be >= 0.");
        }

        if (o.VideoUrlTtl <= TimeSpan.Zero)
        {
            errors.Add("VideoUrlTtl must be positive.");
        }

        if (o.TaskTtl <= TimeSpan.Zero)
        {
            errors.Add("TaskTtl must be positive.");
        }

        if (o.VideoSizeBytes != 0 && o.VideoSizeBytes < VideoContent.MinimumPaddedSize)
        {
            errors.Add($"VideoSizeBytes must be 0 or >= {VideoContent.MinimumPaddedSize}.");
        }

        if (string.IsNullOrEmpty(o.UrlSigningKey))
        {
            errors.Add("UrlSigningKey must not be empty.");
        }

        if (o.PublicBaseUrl is not null && !Uri.TryCreate(o.PublicBaseUrl, UriKind.Absolute, out _))
        {
            errors.Add("PublicBaseUrl must be an absolute URL.");
        }

        if (o.FailEveryNthTask < 0)
        {
            errors.Add("FailEveryNthTask must be >= 0.");
        }

        if (o.MaxRecordedRequests < 0)
        {
            errors.Add("MaxRecordedRequests must be >= 0.");
        }

        if (!string.IsNullOrWhiteSpace(o.DefaultMarkers) && !FaultMarkers.TryParse(o.DefaultMarkers, null, out _, out var markerError))
        {
            errors.Add($"DefaultMarkers: {markerError}");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
