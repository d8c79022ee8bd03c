using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace WanFunctions.DashScope;

public static class DashScopeServiceCollectionExtensions
{
    /// <summary>Name of the typed HttpClient (for <c>IHttpClientFactory</c> configuration and telemetry).</summary>
    public const string HttpClientName = "DashScope";

    /// <summary>
    /// Registers <see cref="IDashScopeClientFactory"/> (a client per account of the pool, on the named HttpClient
    /// <see cref="HttpClientName"/>) and <see cref="IDashScopeClient"/> (the pool's first account), binds <see cref="DashScopeOptions"/> from the
    /// <c>DashScope</c> section of the <see cref="IConfiguration"/> service and validates them at start-up.
    /// <paramref name="configuration"/> (the root configuration) is registered as that service when the host has not
    /// registered one.
    /// Adds the standard resilience handler: attempt timeout = <see cref="DashScopeOptions.RequestTimeout"/>, total timeout =
    /// <see cref="DashScopeOptions.TotalTimeout"/>, <see cref="DashScopeOptions.MaxAttempts"/> attempts honouring
    /// <c>Retry-After</c> — for query, list and cancel only. Submit is never retried here: a retried POST could create and
    /// bill a duplicate task, so the workflow's durable retry policy decides.
    /// </summary>
    /// <param name="configureResilience">Optional last word on the pipeline options (tests, special deployments).</param>
    /// <returns>The HttpClient builder, to add handlers or replace the primary handler.</returns>
    public static IHttpClientBuilder AddDashScopeClient(this IServiceCollection services, IConfiguration configuration,
        Action<HttpStandardResilienceOptions>? configureResilience = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.TryAddSingleton(configuration);
        services.AddOptions<DashScopeOptions>()
            .BindConfiguration(DashScopeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DashScopeOptions>, DashScopeOptionsValidator>());

        var builder = services.AddHttpClient(HttpClientName, (sp, client) =>
        {
            // The resilience pipeline enforces the real timeouts; HttpClient's own is only a backstop behind them.
            var options = sp.GetRequiredService<IOptions<DashScopeOptions>>().Value;
            client.Timeout = options.TotalTimeout + TimeSpan.FromSeconds(10);
        });

        // One pipeline per endpoint (scheme, host, port): an endpoint that keeps failing opens its own circuit breaker,
        // and the pool's accounts on other endpoints go on. Accounts on one endpoint share it, as they share its outages.
        builder.AddStandardResilienceHandler().Configure((resilience, sp) =>
        {
            var options = sp.GetRequiredService<IOptions<DashScopeOptions>>().Value;
            ConfigureResilience(resilience, options);
            configureResilience?.Invoke(resilience);
        }).SelectPipelineByAuthority();

        // Inside the resilience handler: every attempt (retries, 429s) is counted once.
        builder.AddHttpMessageHandler(() => new ProviderCallMetricsHandler());

        services.TryAddSingleton<IDashScopeClientFactory, DashScopeClientFactory>();
        services.TryAddTransient<IDashScopeClient>(sp =>
        {
            var clients = sp.GetRequiredService<IDashScopeClientFactory>();
            return clients.ClientOf(clients.Accounts[0].Name);
        });
        return builder;
    }

    internal static void ConfigureResilience(HttpStandardResilienceOptions resilience, DashScopeOptions options)
    {
        resilience.AttemptTimeout.Timeout = options.RequestTimeout;
        resilience.TotalRequestTimeout.Timeout = options.TotalTimeout;

        // The standard handler requires a sampling window of at least twice the attempt timeout.
        var minimumSampling = options.RequestTimeout * 2;
        if (resilience.CircuitBreaker.SamplingDuration < minimumSampling)
        {
            resilience.CircuitBreaker.SamplingDuration = minimumSampling;
        }

        var retry = resilience.Retry;
        retry.MaxRetryAttempts = Math.Max(1, options.MaxAttempts - 1);
        retry.Delay = options.RetryBaseDelay;
        retry.BackoffType = DelayBackoffType.Exponential;
        retry.UseJitter = true;
        retry.ShouldRetryAfterHeader = true;

        // Retries only for safe methods (GET) ...
        var transient = retry.ShouldHandle;
        retry.DisableForUnsafeHttpMethods();
        var safeOnly = retry.ShouldHandle;
        var noRetry = options.MaxAttempts <= 1;

        // ... plus POSTs explicitly marked idempotent (cancel). Submit is never marked.
        retry.ShouldHandle = args =>
        {
            if (noRetry)
            {
                return ValueTask.FromResult(false);
            }

            var request = args.Context.GetRequestMessage();
            return request is not null && request.Options.TryGetValue(DashScopeClient.RetryablePostKey, out var retryable) && retryable
                ? transient(args)
                : safeOnly(args);
        };
    }
}
