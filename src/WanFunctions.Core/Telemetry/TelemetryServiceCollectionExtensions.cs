using System.Diagnostics;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using WanFunctions.DashScope;

namespace WanFunctions.Telemetry;

/// <summary>Where traces, metrics and logs go (<see cref="TelemetrySettings.ExporterSetting"/>).</summary>
public enum TelemetryExporter
{
    /// <summary>Nowhere (spans and metrics are still made, for in-process listeners such as tests).</summary>
    None,

    /// <summary>Traces and metrics to standard output (logs already go there through the console logger).</summary>
    Console,

    /// <summary>OTLP to <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (default <c>http://localhost:4317</c>, gRPC).</summary>
    Otlp,

    /// <summary>Application Insights through the Azure Monitor exporter, with <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c>.</summary>
    AzureMonitor,
}

/// <summary>
/// The telemetry settings, read and checked once at start-up. <c>Telemetry:Exporter</c> is <c>none</c>, <c>console</c>,
/// <c>otlp</c> or <c>azuremonitor</c> (any case); unset, it is <c>azuremonitor</c> when
/// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set (Azure), else <c>otlp</c> when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is,
/// else <c>none</c>. With Entra ID auth (<c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> =
/// <c>ClientId=…;Authorization=AAD</c>, as infra/ sets it) the exporter signs in with that managed identity.
/// </summary>
public sealed record TelemetrySettings(TelemetryExporter Exporter, string? ConnectionString = null, string? ManagedIdentityClientId = null,
    bool EntraAuthentication = false)
{
    public const string ExporterSetting = "Telemetry:Exporter";
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AuthenticationStringSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Reads and checks the settings.</summary>
    /// <exception cref="InvalidOperationException">
    /// An unknown exporter, <c>azuremonitor</c> without a connection string, or an OTLP endpoint that is not an absolute
    /// http(s) URL; the message names the setting.
    /// </exception>
    public static TelemetrySettings Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var connectionString = NullIfBlank(configuration[ConnectionStringSetting]);
        var otlpEndpoint = NullIfBlank(configuration[OtlpEndpointSetting]);
        var exporter = NullIfBlank(configuration[ExporterSetting]) is { } named
            ? Parse(named)
            : connectionString is not null ? TelemetryExporter.AzureMonitor
            : otlpEndpoint is not null ? TelemetryExporter.Otlp
            : TelemetryExporter.None;

        if (exporter == TelemetryExporter.AzureMonitor && connectionString is null)
        {
            throw new InvalidOperationException(
                $"{ExporterSetting} is 'azuremonitor' but {ConnectionStringSetting} is not set: set it to the Application Insights connection string.");
        }

        if (exporter == TelemetryExporter.Otlp && otlpEndpoint is not null
            && !(Uri.TryCreate(otlpEndpoint, UriKind.Absolute, out var endpoint) && endpoint.Scheme is "http" or "https"))
        {
            throw new InvalidOperationException($"{OtlpEndpointSetting} must be an absolute http(s) URL (e.g. http://localhost:4317).");
        }

        var authentication = configuration[AuthenticationStringSetting] ?? string.Empty;
        return new TelemetrySettings(exporter, connectionString,
            NullIfBlank(Part(authentication, "ClientId")),
            string.Equals(Part(authentication, "Authorization"), "AAD", StringComparison.OrdinalIgnoreCase));
    }

    private static TelemetryExporter Parse(string value) => value.Trim().ToUpperInvariant() switch
    {
        "NONE" => TelemetryExporter.None,
        "CONSOLE" => TelemetryExporter.Console,
        "OTLP" => TelemetryExporter.Otlp,
        "AZUREMONITOR" => TelemetryExporter.AzureMonitor,
        _ => throw new InvalidOperationException($"{ExporterSetting} is '{value}': use none, console, otlp or azuremonitor."),
    };

    /// <summary>The value of <c>key=value</c> in a <c>;</c>-separated string.</summary>
    private static string? Part(string text, string key) => text
        .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(part => part.Split('=', 2))
        .Where(pair => pair.Length == 2 && string.Equals(pair[0], key, StringComparison.OrdinalIgnoreCase))
        .Select(pair => pair[1])
        .FirstOrDefault();

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>The Durable Task SDK's activity source: its orchestration and activity spans join the job's trace.</summary>
    public const string DurableTaskSource = "Microsoft.DurableTask";

    /// <summary>
    /// OpenTelemetry for either host: the workflow's spans and metrics (<see cref="WorkflowTelemetry"/>), the Durable Task
    /// SDK's spans, incoming <c>/api</c> requests, outgoing HTTP calls made inside a trace (URLs cut at their query), and
    /// the exporter <see cref="TelemetrySettings"/> names (logs too, with their scopes, for OTLP and Azure Monitor).
    /// </summary>
    /// <param name="serviceName">The <c>service.name</c> resource attribute (the host).</param>
    /// <returns>The builder, for host-specific additions (the Functions worker's defaults).</returns>
    /// <exception cref="InvalidOperationException">The settings are invalid (see <see cref="TelemetrySettings.Read"/>).</exception>
    public static OpenTelemetryBuilder AddWanTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        var settings = TelemetrySettings.Read(configuration);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(tracing => tracing
                .AddSource(WorkflowTelemetry.Name, DurableTaskSource)
                // The API, not the durable sidecar's gRPC calls or /healthz.
                .AddAspNetCoreInstrumentation(options => options.Filter = context => context.Request.Path.StartsWithSegments("/api"))
                .AddHttpClientInstrumentation(options =>
                {
                    // Calls made for a job (provider, archive, callback), not the durable backend's queue polling
                    // nor the worker's gRPC calls to the local host's sidecar.
                    options.FilterHttpRequestMessage = request => Activity.Current?.Parent is not null
                        && request.Content?.Headers.ContentType?.MediaType?.StartsWith("application/grpc", StringComparison.Ordinal) != true;
                    options.EnrichWithHttpRequestMessage = (span, request) => span.SetTag("url.full", UrlRedactor.Redact(request.RequestUri));
                }))
            .WithMetrics(metrics => metrics
                .AddMeter(WorkflowTelemetry.Name)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation());

        switch (settings.Exporter)
        {
            case TelemetryExporter.Console:
                telemetry.WithTracing(tracing => tracing.AddConsoleExporter()).WithMetrics(metrics => metrics.AddConsoleExporter());
                break;
            case TelemetryExporter.Otlp:
                telemetry.WithLogging(configureBuilder: null, configureOptions: IncludeScopes).UseOtlpExporter();
                break;
            case TelemetryExporter.AzureMonitor:
                telemetry.WithLogging(configureBuilder: null, configureOptions: IncludeScopes).UseAzureMonitorExporter(options =>
                {
                    options.ConnectionString = settings.ConnectionString;
                    options.Credential = Credential(settings);
                });
                break;
        }

        return telemetry;
    }

    private static void IncludeScopes(OpenTelemetryLoggerOptions options)
    {
        options.IncludeScopes = true; // the job id (JobTelemetryScope)
        options.IncludeFormattedMessage = true;
    }

    /// <summary>The managed identity for Entra ID auth (Application Insights with local auth disabled), else none.</summary>
    private static ManagedIdentityCredential? Credential(TelemetrySettings settings) => !settings.EntraAuthentication
        ? null
        : new ManagedIdentityCredential(settings.ManagedIdentityClientId is { } clientId
            ? ManagedIdentityId.FromUserAssignedClientId(clientId)
            : ManagedIdentityId.SystemAssigned);
}
