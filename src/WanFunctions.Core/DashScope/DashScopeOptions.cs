using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace WanFunctions.DashScope;

/// <summary>
/// Settings of the DashScope client, bound from the <c>DashScope</c> configuration section
/// (app settings <c>DashScope__BaseUrl</c>, <c>DashScope__ApiKey</c>, <c>DashScope__Region</c>…).
/// In Azure the API key is an app setting holding a Key Vault reference; the platform resolves it,
/// so it arrives here as plain configuration. <see cref="ToString"/> never shows the key.
/// </summary>
public sealed class DashScopeOptions
{
    public const string SectionName = "DashScope";

    /// <summary>
    /// Absolute http(s) base URL, e.g. <c>https://dashscope-intl.aliyuncs.com</c>. May carry a path prefix
    /// (a gateway or the simulator), which is kept: calls go to <c>{BaseUrl}/api/v1/…</c>.
    /// </summary>
    [Required]
    public Uri? BaseUrl { get; set; }

    /// <summary>The DashScope API key (sent as <c>Authorization: Bearer</c>). Secret: never log it.</summary>
    [Required]
    public string ApiKey { get; set; } = string.Empty;

    /// <summary>The region the key, endpoint and model belong to.</summary>
    public DashScopeRegion Region { get; set; } = DashScopeRegion.International;

    /// <summary>
    /// The account's limit of PENDING + RUNNING tasks (the provider answers 429 beyond it: 5 for the wan2.6 r2v models).
    /// The capacity gate (section <c>Gate</c>) admits at most this many jobs at once.
    /// </summary>
    [Range(1, 1000)]
    public int MaxConcurrentTasks { get; set; } = 5;

    /// <summary>The account's submit rate limit (5 a second for the wan2.6 r2v models); the gate spaces submits to it.</summary>
    [Range(1, 1000)]
    public int MaxSubmitsPerSecond { get; set; } = 5;

    /// <summary>Timeout of one HTTP attempt.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Timeout of one call including its retries (must exceed <see cref="RequestTimeout"/>).</summary>
    [Range(typeof(TimeSpan), "00:00:02", "01:00:00")]
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Attempts per idempotent call (query, list, cancel), first one included. Submit is always tried once:
    /// the workflow's durable retry policy decides about resubmitting. Kept short because the orchestration
    /// retries on a longer horizon.
    /// </summary>
    [Range(1, 10)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Base delay of the exponential, jittered back-off between attempts (a <c>Retry-After</c> wins).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The provider's zone: its timestamps (<c>submit_time</c>…) and the list call's <c>start_time</c>/<c>end_time</c>
    /// filters are wall-clock times in it, without an offset. UTC+8 for the regions DashScope documents; whole minutes.
    /// </summary>
    public TimeSpan ProviderTimeOffset { get; set; } = TimeSpan.FromHours(8);

    /// <summary>
    /// How many times a submit whose outcome is unknown (a timeout or garbled answer after sending) looks for its task
    /// in the provider's task list before the job ends <c>SubmitOutcomeUnknown</c>. More than one look because the
    /// list may lag behind the submit.
    /// </summary>
    [Range(1, 10)]
    public int SubmitSettleLooks { get; set; } = 3;

    /// <summary>Wait between two of those looks.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan SubmitSettleInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The provider's public endpoint for a region.</summary>
    public static Uri DefaultBaseUrl(DashScopeRegion region) => region switch
    {
        DashScopeRegion.Global => new Uri("https://dashscope-us.aliyuncs.com"),
        DashScopeRegion.International => new Uri("https://dashscope-intl.aliyuncs.com"),
        DashScopeRegion.ChineseMainland => new Uri("https://dashscope.aliyuncs.com"),
        _ => throw new ArgumentOutOfRangeException(nameof(region), region, null),
    };

    /// <summary>Never includes the API key.</summary>
    public override string ToString() =>
        $"DashScopeOptions {{ BaseUrl = {UrlRedactor.Redact(BaseUrl)}, Region = {Region}, ApiKey = {(string.IsNullOrEmpty(ApiKey) ? "(missing)" : "***")}, " +
        $"RequestTimeout = {RequestTimeout}, TotalTimeout = {TotalTimeout}, MaxAttempts = {MaxAttempts} }}";
}

/// <summary>Rules data annotations cannot express: the URL shape and the timeout ordering.</summary>
public sealed class DashScopeOptionsValidator : IValidateOptions<DashScopeOptions>
{
    public ValidateOptionsResult Validate(string? name, DashScopeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();

        if (options.BaseUrl is { } url)
        {
            // On Unix "/x" parses as an absolute file: URI, hence the scheme test rather than IsAbsoluteUri alone.
            if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
            {
                failures.Add($"{nameof(DashScopeOptions.BaseUrl)} must be an absolute http or https URL.");
            }
            else
            {
                if (!string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.Fragment))
                {
                    failures.Add($"{nameof(DashScopeOptions.BaseUrl)} must not carry a query string or fragment.");
                }

                if (!string.IsNullOrEmpty(url.UserInfo))
                {
                    failures.Add($"{nameof(DashScopeOptions.BaseUrl)} must not carry credentials; use {nameof(DashScopeOptions.ApiKey)}.");
                }
            }
        }

        if (options.ApiKey is { Length: > 0 } key)
        {
            // When App Service cannot resolve a Key Vault reference it hands over the reference text itself.
            if (key.StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"{nameof(DashScopeOptions.ApiKey)} is an unresolved Key Vault reference: check the app's managed identity and its access to the vault.");
            }
            else if (key.Any(char.IsWhiteSpace))
            {
                failures.Add($"{nameof(DashScopeOptions.ApiKey)} must not contain whitespace.");
            }
        }

        if (!Enum.IsDefined(options.Region))
        {
            failures.Add($"{nameof(DashScopeOptions.Region)} is not a known region.");
        }

        if (options.ProviderTimeOffset < TimeSpan.FromHours(-14) || options.ProviderTimeOffset > TimeSpan.FromHours(14)
            || options.ProviderTimeOffset.Ticks % TimeSpan.TicksPerMinute != 0)
        {
            failures.Add($"{nameof(DashScopeOptions.ProviderTimeOffset)} must be whole minutes between -14:00 and 14:00.");
        }

        if (options.TotalTimeout <= options.RequestTimeout)
        {
            failures.Add($"{nameof(DashScopeOptions.TotalTimeout)} must be greater than {nameof(DashScopeOptions.RequestTimeout)}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
