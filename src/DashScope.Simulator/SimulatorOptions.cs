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

    /// <summary>The API key of the account "default", accepted in <c>Authorization: Bearer …</c>.</summary>
    public string ApiKey { get; set; } = "sim-key";

    /// <summary>
    /// More accounts (<c>Simulator:Accounts:N:ApiKey</c>, <c>:Name</c>, <c>:MaxConcurrentTasks</c>), each with its own
    /// concurrency limit and its own tasks: a task is visible only to the key that created it.
    /// </summary>
    public List<SimulatorAccount> Accounts { get; set; } = [];

    /// <summary>The default account's name, the label of <see cref="ApiKey"/> in the request log.</summary>
    public const string DefaultAccount = "default";

    /// <summary>
    /// The non-secret label of the account whose key is <paramref name="key"/> (<see cref="DefaultAccount"/>, an
    /// account's <c>Name</c>, else <c>account{N}</c> for <c>Accounts:N</c>), or null for a key no account has.
    /// </summary>
    public string? AccountOf(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return null;
        }

        if (SameKey(key, ApiKey))
        {
            return DefaultAccount;
        }

        for (var i = 0; i < Accounts.Count; i++)
        {
            if (SameKey(key, Accounts[i].ApiKey))
            {
                return Accounts[i].Name ?? $"account{i}";
            }
        }

        return null;
    }

    /// <summary>The concurrency limit of the account labelled <paramref name="account"/>.</summary>
    public int MaxConcurrentTasksOf(string account) =>
        account == DefaultAccount
            ? MaxConcurrentTasks
            : Accounts.Select((a, i) => (Label: a.Name ?? $"account{i}", a.MaxConcurrentTasks)).FirstOrDefault(a => a.Label == account).MaxConcurrentTasks
                ?? MaxConcurrentTasks;

    private static bool SameKey(string given, string known) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(given), System.Text.Encoding.UTF8.GetBytes(known));

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

    /// <summary>0 = serve a generated video of the task's size, duration and audio; otherwise the embedded clip, padded with a trailing <c>free</c> box to exactly this size.</summary>
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

/// <summary>One more account of the simulator: its key, an optional label (never the key) and its own concurrency limit.</summary>
public sealed class SimulatorAccount
{
    public string? Name { get; set; }

    public string ApiKey { get; set; } = "";

    /// <summary>This account's limit of PENDING + RUNNING tasks; null: <see cref="SimulatorOptions.MaxConcurrentTasks"/>.</summary>
    public int? MaxConcurrentTasks { get; set; }

    public override string ToString() => $"SimulatorAccount {{ Name = {Name}, MaxConcurrentTasks = {MaxConcurrentTasks} }}";
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

        var keys = new HashSet<string>(StringComparer.Ordinal) { o.ApiKey ?? "" };
        var labels = new HashSet<string>(StringComparer.Ordinal) { SimulatorOptions.DefaultAccount };
        for (var i = 0; i < o.Accounts.Count; i++)
        {
            var account = o.Accounts[i];
            if (string.IsNullOrWhiteSpace(account.ApiKey) || !keys.Add(account.ApiKey))
            {
                errors.Add($"Accounts:{i}:ApiKey must be set and differ from every other key.");
            }

            if (!labels.Add(account.Name ?? $"account{i}"))
            {
                errors.Add($"Accounts:{i}:Name must differ from every other account's name.");
            }

            if (account.MaxConcurrentTasks is < 1)
            {
                errors.Add($"Accounts:{i}:MaxConcurrentTasks must be >= 1.");
            }
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
