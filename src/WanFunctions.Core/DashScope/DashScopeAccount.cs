using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace WanFunctions.DashScope;

/// <summary>
/// One account of the pool as configured (<c>DashScope:Accounts:N:…</c>, app settings <c>DashScope__Accounts__0__Name</c>…).
/// Unset values come from the <c>DashScope</c> section: <see cref="BaseUrl"/> from <c>DashScope:BaseUrl</c> (else the
/// region's public endpoint), <see cref="Region"/> and the limits from their <c>DashScope:</c> settings.
/// <see cref="ToString"/> never shows the key.
/// </summary>
public sealed class DashScopeAccountOptions
{
    /// <summary>The account's name: in gate records, the ledger and job status (never the key). Unique, non-empty.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>The account's API key (in Azure a Key Vault reference). Secret: never log it.</summary>
    public string ApiKey { get; set; } = string.Empty;

    public Uri? BaseUrl { get; set; }

    public DashScopeRegion? Region { get; set; }

    /// <summary>PENDING + RUNNING tasks the provider allows this account (1–1000).</summary>
    public int? MaxConcurrentTasks { get; set; }

    /// <summary>Submits a second the provider allows this account (1–1000).</summary>
    public int? MaxSubmitsPerSecond { get; set; }

    /// <summary>Never includes the API key.</summary>
    public override string ToString() =>
        $"DashScopeAccountOptions {{ Name = {Name}, BaseUrl = {UrlRedactor.Redact(BaseUrl)}, Region = {Region}, ApiKey = {(string.IsNullOrEmpty(ApiKey) ? "(missing)" : "***")} }}";
}

/// <summary>
/// An account of the pool, resolved (<see cref="DashScopeOptions.Pool"/>): a key, the endpoint and region it belongs to,
/// and its limits. A class, not a record, so no generated <c>ToString</c> can print the key.
/// </summary>
public sealed class DashScopeAccount(string name, string apiKey, Uri baseUrl, DashScopeRegion region, int maxConcurrentTasks, int maxSubmitsPerSecond)
{
    /// <summary>Today's single <c>DashScope:ApiKey</c>, and the account of jobs started before the pool existed.</summary>
    public const string DefaultName = "default";

    public string Name { get; } = name;

    /// <summary>Secret: never log it.</summary>
    public string ApiKey { get; } = apiKey;

    public Uri BaseUrl { get; } = baseUrl;

    public DashScopeRegion Region { get; } = region;

    public int MaxConcurrentTasks { get; } = maxConcurrentTasks;

    public int MaxSubmitsPerSecond { get; } = maxSubmitsPerSecond;

    /// <summary>Never includes the API key.</summary>
    public override string ToString() => $"DashScopeAccount {{ Name = {Name}, BaseUrl = {UrlRedactor.Redact(BaseUrl)}, Region = {Region} }}";
}

/// <summary>A DashScope client per account of the pool, so a task is always queried, canceled and listed with the key that created it.</summary>
public interface IDashScopeClientFactory
{
    /// <summary>The pool, in configuration order (the account "default" first when <c>DashScope:ApiKey</c> is set).</summary>
    public IReadOnlyList<DashScopeAccount> Accounts { get; }

    /// <summary>
    /// The client of <paramref name="account"/>; null means <see cref="DashScopeAccount.DefaultName"/> (a job started before
    /// the pool). An account that is not configured (any more) is a clear <see cref="InvalidOperationException"/>.
    /// </summary>
    public IDashScopeClient ClientOf(string? account);
}

/// <summary>
/// Builds <see cref="DashScopeClient"/>s on the named HttpClient <see cref="DashScopeServiceCollectionExtensions.HttpClientName"/>
/// (its resilience pipeline), each with its account's key and base URL.
/// </summary>
public sealed class DashScopeClientFactory(IHttpClientFactory http, IOptions<DashScopeOptions> options, ILogger<DashScopeClient> logger)
    : IDashScopeClientFactory
{
    public IReadOnlyList<DashScopeAccount> Accounts => options.Value.Pool;

    public IDashScopeClient ClientOf(string? account)
    {
        var name = account ?? DashScopeAccount.DefaultName;
        var resolved = Accounts.FirstOrDefault(a => a.Name == name)
            ?? throw new InvalidOperationException(
                $"No DashScope account named '{name}' is configured (configured: {string.Join(", ", Accounts.Select(a => a.Name))}); "
                + "a task is only visible to the account that created it.");
        return new DashScopeClient(http.CreateClient(DashScopeServiceCollectionExtensions.HttpClientName),
            Options.Create(options.Value.ForAccount(resolved)), logger);
    }
}
