using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace WanFunctions.DashScope;

/// <summary>
/// Settings of the DashScope client, bound from the <c>DashScope</c> configuration section
/// (app settings <c>DashScope__BaseUrl</c>, <c>DashScope__ApiKey</c>, <c>DashScope__Region</c>…).
/// In Azure the API key is an app setting holding a Key Vault reference; the platform resolves it,
/// so it arrives here as plain configuration. <see cref="ToString"/> never shows the key.
/// <para>
/// The accounts: <see cref="ApiKey"/> (with <see cref="BaseUrl"/>, <see cref="Region"/> and the limits) is the account
/// "default", and <see cref="Accounts"/> adds more (<c>DashScope:Accounts:N:Name</c>, <c>:ApiKey</c>…); together they are
/// the <see cref="Pool"/>. At least one account is required.
/// </para>
/// </summary>
public sealed class DashScopeOptions
{
    public const string SectionName = "DashScope";

    /// <summary>
    /// Absolute http(s) base URL, e.g. <c>https://dashscope-intl.aliyuncs.com</c>. May carry a path prefix
    /// (a gateway or the simulator), which is kept: calls go to <c>{BaseUrl}/api/v1/…</c>. Required with
    /// <see cref="ApiKey"/>; for <see cref="Accounts"/> it is the base URL of those that set none.
    /// </summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>
    /// The DashScope API key of the account "default" (sent as <c>Authorization: Bearer</c>). Secret: never log it.
    /// May be empty when <see cref="Accounts"/> are configured.
    /// </summary>
    public string ApiKey { get; set; } = string.Empty;

    /// <summary>More accounts (keys, endpoints, regions, limits) besides the account "default"; see <see cref="Pool"/>.</summary>
    public List<DashScopeAccountOptions> Accounts { get; set; } = [];

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

    /// <summary>
    /// The accounts jobs may use, in order: "default" (from <see cref="ApiKey"/>, when set), then <see cref="Accounts"/>
    /// with their unset values taken from this section (<see cref="BaseUrl"/> or the region's public endpoint).
    /// Meaningful once validated (<see cref="DashScopeOptionsValidator"/>).
    /// </summary>
    public IReadOnlyList<DashScopeAccount> Pool
    {
        get
        {
            var pool = new List<DashScopeAccount>();
            if (!string.IsNullOrEmpty(ApiKey) && BaseUrl is { } baseUrl)
            {
                pool.Add(new DashScopeAccount(DashScopeAccount.DefaultName, ApiKey, baseUrl, Region, MaxConcurrentTasks, MaxSubmitsPerSecond));
            }

            foreach (var account in Accounts)
            {
                var region = account.Region ?? Region;
                pool.Add(new DashScopeAccount(account.Name, account.ApiKey, account.BaseUrl ?? BaseUrl ?? DefaultBaseUrl(region), region,
                    account.MaxConcurrentTasks ?? MaxConcurrentTasks, account.MaxSubmitsPerSecond ?? MaxSubmitsPerSecond));
            }

            return pool;
        }
    }

    /// <summary>These settings with <paramref name="account"/>'s key, endpoint, region and limits: the options of its client.</summary>
    public DashScopeOptions ForAccount(DashScopeAccount account)
    {
        ArgumentNullException.ThrowIfNull(account);
        var copy = (DashScopeOptions)MemberwiseClone();
        copy.ApiKey = account.ApiKey;
        copy.BaseUrl = account.BaseUrl;
        copy.Region = account.Region;
        copy.MaxConcurrentTasks = account.MaxConcurrentTasks;
        copy.MaxSubmitsPerSecond = account.MaxSubmitsPerSecond;
        copy.Accounts = [];
        return copy;
    }

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
        $"Accounts = [{string.Join(", ", Accounts.Select(a => a.Name))}], RequestTimeout = {RequestTimeout}, TotalTimeout = {TotalTimeout}, MaxAttempts = {MaxAttempts} }}";
}

/// <summary>
/// Rules data annotations cannot express: at least one account, the URL shapes, the pool's names, keys and limits, and
/// the timeout ordering. Messages name settings, never a key's value.
/// </summary>
public sealed class DashScopeOptionsValidator : IValidateOptions<DashScopeOptions>
{
    public ValidateOptionsResult Validate(string? name, DashScopeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();

        if (options.Accounts.Count == 0 || !string.IsNullOrEmpty(options.ApiKey))
        {
            // The account "default": today's single key, required unless the pool is configured under Accounts.
            if (options.BaseUrl is null)
            {
                failures.Add($"The {nameof(DashScopeOptions.BaseUrl)} field is required (DashScope:BaseUrl, the endpoint of DashScope:ApiKey).");
            }

            if (string.IsNullOrWhiteSpace(options.ApiKey))
            {
                failures.Add($"The {nameof(DashScopeOptions.ApiKey)} field is required: set DashScope:ApiKey (the account \"default\") "
                    + "or configure DashScope:Accounts:N:Name and DashScope:Accounts:N:ApiKey.");
            }
        }

        CheckUrl(options.BaseUrl, nameof(DashScopeOptions.BaseUrl), failures);
        CheckKey(options.ApiKey, nameof(DashScopeOptions.ApiKey), failures);
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            names.Add(DashScopeAccount.DefaultName);
        }

        for (var i = 0; i < options.Accounts.Count; i++)
        {
            var account = options.Accounts[i];
            var setting = $"DashScope:Accounts:{i}";
            if (string.IsNullOrWhiteSpace(account.Name))
            {
                failures.Add($"{setting}:Name is required (a unique, non-secret name for the account).");
            }
            else if (account.Name.Trim() != account.Name || account.Name.Any(char.IsControl))
            {
                failures.Add($"{setting}:Name must not have leading or trailing spaces or control characters.");
            }
            else if (!names.Add(account.Name))
            {
                failures.Add($"{setting}:Name '{account.Name}' is used by another account"
                    + (account.Name == DashScopeAccount.DefaultName ? " (\"default\" is the account of DashScope:ApiKey)." : "."));
            }

            if (string.IsNullOrWhiteSpace(account.ApiKey))
            {
                failures.Add($"{setting}:ApiKey is required.");
            }

            CheckKey(account.ApiKey, $"{setting}:ApiKey", failures);
            CheckUrl(account.BaseUrl, $"{setting}:BaseUrl", failures);
            if (account.Region is { } region && !Enum.IsDefined(region))
            {
                failures.Add($"{setting}:Region is not a known region.");
            }

            if (account.MaxConcurrentTasks is < 1 or > 1000)
            {
                failures.Add($"{setting}:MaxConcurrentTasks must be between 1 and 1000.");
            }

            if (account.MaxSubmitsPerSecond is < 1 or > 1000)
            {
                failures.Add($"{setting}:MaxSubmitsPerSecond must be between 1 and 1000.");
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

    private static void CheckUrl(Uri? url, string setting, List<string> failures)
    {
        if (url is null)
        {
            return;
        }

        // On Unix "/x" parses as an absolute file: URI, hence the scheme test rather than IsAbsoluteUri alone.
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add($"{setting} must be an absolute http or https URL.");
            return;
        }

        if (!string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.Fragment))
        {
            failures.Add($"{setting} must not carry a query string or fragment.");
        }

        if (!string.IsNullOrEmpty(url.UserInfo))
        {
            failures.Add($"{setting} must not carry credentials; use {nameof(DashScopeOptions.ApiKey)}.");
        }
    }

    private static void CheckKey(string? key, string setting, List<string> failures)
    {
        if (key is not { Length: > 0 })
        {
            return;
        }

        // When App Service cannot resolve a Key Vault reference it hands over the reference text itself.
        if (key.StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"{setting} is an unresolved Key Vault reference: check the app's managed identity and its access to the vault.");
        }
        else if (key.Any(char.IsWhiteSpace))
        {
            failures.Add($"{setting} must not contain whitespace.");
        }
    }
}
