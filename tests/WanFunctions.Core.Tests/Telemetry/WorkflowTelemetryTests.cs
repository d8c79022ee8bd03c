using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using WanFunctions.Core.Tests.DashScope;
using WanFunctions.DashScope;
using WanFunctions.Telemetry;
using static WanFunctions.Core.Tests.DashScope.DashScopeTestContext;

namespace WanFunctions.Core.Tests.Telemetry;

public sealed class WorkflowTelemetryTests
{
    private const string SignedUrl = "https://bucket.oss-cn-beijing.aliyuncs.com/out/v.mp4?Expires=1&OSSAccessKeyId=LTAI&Signature=abc%3D";

    // ---- attribute redaction ----

    [Fact]
    public void A_signed_url_in_an_attribute_keeps_host_and_path_and_loses_its_query()
    {
        using var listener = ListenToWorkflowSpans();
        using var span = WorkflowTelemetry.StartStep("check", "job-1");

        span.SetSafeTag("wan.note", $"download of {SignedUrl} failed");

        var value = (string)span!.GetTagItem("wan.note")!;
        Assert.Equal("download of https://bucket.oss-cn-beijing.aliyuncs.com/out/v.mp4?… failed", value);
        Assert.DoesNotContain("Signature", value, StringComparison.Ordinal);
        Assert.Equal("job-1", span.GetTagItem(WorkflowTelemetry.Tags.JobId));
    }

    [Fact]
    public void Attributes_are_cut_to_the_maximum_length_and_empty_values_are_not_set()
    {
        using var listener = ListenToWorkflowSpans();
        using var span = WorkflowTelemetry.StartStep("check", null);

        span.SetSafeTag("wan.long", new string('x', 1000));
        span.SetSafeTag("wan.empty", "");

        Assert.Equal(WorkflowTelemetry.MaxTagLength, ((string)span!.GetTagItem("wan.long")!).Length);
        Assert.Null(span.GetTagItem("wan.empty"));
        Assert.Null(span.GetTagItem(WorkflowTelemetry.Tags.JobId));
    }

    [Fact]
    public async Task A_failed_step_is_marked_failed_with_a_redacted_message_and_no_stack_trace()
    {
        List<Activity> stopped = [];
        using var listener = ListenToWorkflowSpans(stopped);

        await Assert.ThrowsAsync<HttpRequestException>(() => WorkflowTelemetry.TraceAsync<int>("archive", "job-2",
            _ => throw new HttpRequestException($"GET {SignedUrl} answered 403")));

        var span = Assert.Single(stopped, s => Equals(s.GetTagItem(WorkflowTelemetry.Tags.JobId), "job-2"));
        Assert.Equal("wan.archive", span.DisplayName);
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal("GET https://bucket.oss-cn-beijing.aliyuncs.com/out/v.mp4?… answered 403", span.StatusDescription);
        Assert.Equal(typeof(HttpRequestException).FullName, span.GetTagItem(WorkflowTelemetry.Tags.ErrorType));
        Assert.Empty(span.Events); // no exception event: its stack trace and message would go out unredacted
    }

    // ---- settings ----

    [Theory]
    [InlineData(null, null, null, TelemetryExporter.None)]
    [InlineData(null, null, "http://collector:4317", TelemetryExporter.Otlp)]
    [InlineData(null, "InstrumentationKey=00000000-0000-0000-0000-000000000000", null, TelemetryExporter.AzureMonitor)]
    [InlineData("console", "InstrumentationKey=00000000-0000-0000-0000-000000000000", null, TelemetryExporter.Console)]
    [InlineData("OTLP", null, null, TelemetryExporter.Otlp)]
    [InlineData("AzureMonitor", "InstrumentationKey=00000000-0000-0000-0000-000000000000", null, TelemetryExporter.AzureMonitor)]
    [InlineData("none", "InstrumentationKey=00000000-0000-0000-0000-000000000000", null, TelemetryExporter.None)]
    public void The_exporter_is_the_setting_or_follows_the_connection_string_then_the_otlp_endpoint(
        string? exporter, string? connectionString, string? otlpEndpoint, TelemetryExporter expected)
    {
        var settings = TelemetrySettings.Read(Config(
            (TelemetrySettings.ExporterSetting, exporter),
            (TelemetrySettings.ConnectionStringSetting, connectionString),
            (TelemetrySettings.OtlpEndpointSetting, otlpEndpoint)));

        Assert.Equal(expected, settings.Exporter);
    }

    [Fact]
    public void Entra_authentication_takes_the_managed_identity_from_the_authentication_string()
    {
        var settings = TelemetrySettings.Read(Config(
            (TelemetrySettings.ConnectionStringSetting, "InstrumentationKey=00000000-0000-0000-0000-000000000000"),
            (TelemetrySettings.AuthenticationStringSetting, "ClientId=11111111-2222-3333-4444-555555555555;Authorization=AAD")));

        Assert.True(settings.EntraAuthentication);
        Assert.Equal("11111111-2222-3333-4444-555555555555", settings.ManagedIdentityClientId);
    }

    [Theory]
    [InlineData("jaeger", null, null, "Telemetry:Exporter is 'jaeger': use none, console, otlp or azuremonitor.")]
    [InlineData("azuremonitor", null, null, "Telemetry:Exporter is 'azuremonitor' but APPLICATIONINSIGHTS_CONNECTION_STRING is not set")]
    [InlineData("otlp", null, "collector:4317", "OTEL_EXPORTER_OTLP_ENDPOINT must be an absolute http(s) URL")]
    public void Invalid_settings_stop_the_start_with_a_message_naming_the_setting(string exporter, string? connectionString, string? otlpEndpoint, string message)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => TelemetrySettings.Read(Config(
            (TelemetrySettings.ExporterSetting, exporter),
            (TelemetrySettings.ConnectionStringSetting, connectionString),
            (TelemetrySettings.OtlpEndpointSetting, otlpEndpoint))));

        Assert.StartsWith(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_registration_fails_at_start_on_an_invalid_exporter()
    {
        var services = new ServiceCollection();

        Assert.Throws<InvalidOperationException>(() => services.AddWanTelemetry(Config((TelemetrySettings.ExporterSetting, "zipkin")), "test"));
    }

    // ---- provider calls ----

    [Fact]
    public async Task Every_attempt_to_the_provider_is_counted_by_operation_and_status_code_429_and_retries_included()
    {
        var calls = 0;
        var handler = new FakeHandler(request => request.Method == HttpMethod.Post
            ? FakeHandler.Json(HttpStatusCode.TooManyRequests, """{"code":"Throttling","message":"slow"}""")
            : Interlocked.Increment(ref calls) == 1
                ? FakeHandler.Json(HttpStatusCode.TooManyRequests, """{"code":"Throttling","message":"slow"}""")
                : FakeHandler.Json(HttpStatusCode.OK, """{"output":{"task_id":"t","task_status":"RUNNING"}}"""));
        var services = new ServiceCollection().AddLogging();
        services.AddDashScopeClient(Config(
                ("DashScope:BaseUrl", BaseUrl.ToString()), ("DashScope:ApiKey", ApiKey), ("DashScope:Region", "International"),
                ("DashScope:RetryBaseDelay", "00:00:00")))
            .ConfigurePrimaryHttpMessageHandler(() => handler);
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IDashScopeClient>();

        var counted = await CountProviderCallsAsync(async () =>
        {
            await client.GetTaskAsync("t");
            await Assert.ThrowsAsync<DashScopeException>(() => client.SubmitAsync(Request()));
        });

        Assert.Equal(
            ["query 200", "query 429", "submit 429"],
            counted.Order(StringComparer.Ordinal));
    }

    private static async Task<List<string>> CountProviderCallsAsync(Func<Task> run) =>
        (await Measurements.OnThisFlowAsync(WorkflowTelemetry.ProviderCalls, run))
            .Select(m => $"{m.Tags[WorkflowTelemetry.Tags.Operation]} {m.Tags[WorkflowTelemetry.Tags.StatusCode]}")
            .ToList();

    private static ActivityListener ListenToWorkflowSpans(List<Activity>? stopped = null)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == WorkflowTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (stopped is not null)
                {
                    lock (stopped)
                    {
                        stopped.Add(activity);
                    }
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    private static IConfiguration Config(params (string Key, string? Value)[] settings) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Where(s => s.Value is not null).Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
}
