using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WanFunctions.DashScope;
using static WanFunctions.Core.Tests.DashScope.DashScopeTestContext;

namespace WanFunctions.Core.Tests.DashScope;

public class DashScopeRegistrationTests
{
    private static IConfiguration Config(params (string Key, string? Value)[] settings) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();

    private static IConfiguration ValidConfig(params (string Key, string? Value)[] overrides)
    {
        var values = new Dictionary<string, string?>
        {
            ["DashScope:BaseUrl"] = "https://dashscope.test/prefix",
            ["DashScope:ApiKey"] = ApiKey,
            ["DashScope:Region"] = "ChineseMainland",
            ["DashScope:RetryBaseDelay"] = "00:00:00",
        };
        foreach (var (key, value) in overrides)
        {
            values[key] = value;
        }

        return Config(values.Select(kv => (kv.Key, kv.Value)).ToArray());
    }

    /// <summary>Builds the real registration with the network replaced by <paramref name="handler"/>.</summary>
    private static (ServiceProvider Provider, CapturingLoggerProvider Logs) Build(IConfiguration config, FakeHandler handler)
    {
        var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        services.AddDashScopeClient(config).ConfigurePrimaryHttpMessageHandler(() => handler);
        return (services.BuildServiceProvider(), logs);
    }

    private static void ValidateAtStart(IServiceProvider provider) =>
        provider.GetRequiredService<IStartupValidator>().Validate();

    /// <summary>
    /// Start-up validation fails; the resilience options (configured from DashScopeOptions) fail with it, so the
    /// validator may report an AggregateException of OptionsValidationExceptions.
    /// </summary>
    private static IReadOnlyList<string> StartUpFailures(IServiceProvider provider)
    {
        var ex = Assert.ThrowsAny<Exception>(() => ValidateAtStart(provider));
        var all = ex is AggregateException aggregate ? aggregate.Flatten().InnerExceptions : [ex];
        Assert.All(all, e => Assert.IsType<OptionsValidationException>(e));
        Assert.DoesNotContain(ApiKey, ex.ToString());

        // Reading the options directly gives the DashScope failures alone.
        var direct = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<DashScopeOptions>>().Value);
        Assert.Equal(typeof(DashScopeOptions), direct.OptionsType);
        return direct.Failures.ToList();
    }

    // ---- options ----

    [Fact]
    public void Valid_configuration_binds_every_setting()
    {
        var (provider, _) = Build(ValidConfig(("DashScope:RequestTimeout", "00:00:20"), ("DashScope:MaxAttempts", "2")), new FakeHandler(_ => new HttpResponseMessage()));
        using var _1 = provider;

        ValidateAtStart(provider);
        var options = provider.GetRequiredService<IOptions<DashScopeOptions>>().Value;

        Assert.Equal(new Uri("https://dashscope.test/prefix"), options.BaseUrl);
        Assert.Equal(ApiKey, options.ApiKey);
        Assert.Equal(DashScopeRegion.ChineseMainland, options.Region);
        Assert.Equal(TimeSpan.FromSeconds(20), options.RequestTimeout);
        Assert.Equal(TimeSpan.FromMinutes(2), options.TotalTimeout);
        Assert.Equal(2, options.MaxAttempts);
        Assert.IsType<DashScopeClient>(provider.GetRequiredService<IDashScopeClient>());
    }

    [Fact]
    public void Defaults_are_international_and_30_seconds()
    {
        var options = new DashScopeOptions();

        Assert.Equal(DashScopeOptions.SectionName, "DashScope");
        Assert.Equal(DashScopeRegion.International, options.Region);
        Assert.Equal(TimeSpan.FromSeconds(30), options.RequestTimeout);
        Assert.Equal(3, options.MaxAttempts);
        Assert.Equal(new Uri("https://dashscope-intl.aliyuncs.com"), DashScopeOptions.DefaultBaseUrl(DashScopeRegion.International));
    }

    public static TheoryData<string, string?, string> InvalidSettings => new()
    {
        { "DashScope:ApiKey", null, "ApiKey" },
        { "DashScope:ApiKey", "", "ApiKey" },
        { "DashScope:ApiKey", "   ", "ApiKey" },
        { "DashScope:ApiKey", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/dashscope)", "Key Vault" },
        { "DashScope:BaseUrl", null, "BaseUrl" },
        { "DashScope:BaseUrl", "dashscope.aliyuncs.com/api", "BaseUrl" },
        { "DashScope:BaseUrl", "/relative/path", "BaseUrl" },
        { "DashScope:BaseUrl", "ftp://dashscope.test", "BaseUrl" },
        { "DashScope:BaseUrl", "https://dashscope.test/?x=1", "BaseUrl" },
        { "DashScope:RequestTimeout", "00:00:00", "RequestTimeout" },
        { "DashScope:TotalTimeout", "00:00:10", "TotalTimeout" },
        { "DashScope:MaxAttempts", "0", "MaxAttempts" },
        { "DashScope:ProviderTimeOffset", "15:00:00", "ProviderTimeOffset" },
        { "DashScope:ProviderTimeOffset", "08:00:30", "ProviderTimeOffset" },
        { "DashScope:SubmitSettleLooks", "0", "SubmitSettleLooks" },
        { "DashScope:SubmitSettleInterval", "00:05:00", "SubmitSettleInterval" },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public void Invalid_configuration_fails_at_start_up(string key, string? value, string expectedInMessage)
    {
        var (provider, _) = Build(ValidConfig((key, value)), new FakeHandler(_ => new HttpResponseMessage()));
        using var _1 = provider;

        var failures = StartUpFailures(provider);

        Assert.Contains(failures, f => f.Contains(expectedInMessage, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Missing_section_fails_with_both_required_settings_named()
    {
        var (provider, _) = Build(Config(), new FakeHandler(_ => new HttpResponseMessage()));
        using var _1 = provider;

        var failures = StartUpFailures(provider);

        Assert.Contains(failures, f => f.Contains("BaseUrl"));
        Assert.Contains(failures, f => f.Contains("ApiKey"));
    }

    // ---- resilience wiring ----

    [Fact]
    public async Task Query_503_is_retried_up_to_max_attempts()
    {
        var handler = new FakeHandler(_ => FakeHandler.Json(HttpStatusCode.ServiceUnavailable, """{"code":"ServiceUnavailable","message":"busy","request_id":"r"}"""));
        var (provider, _) = Build(ValidConfig(), handler);
        using var _1 = provider;
        var client = provider.GetRequiredService<IDashScopeClient>();

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => client.GetTaskAsync("t-1"));

        Assert.Equal(3, handler.Count);
        Assert.All(handler.Requests, r => Assert.Equal("https://dashscope.test/prefix/api/v1/tasks/t-1", r.Uri.AbsoluteUri));
        Assert.Equal("ServiceUnavailable", ex.Code);
        Assert.True(ex.IsTransient);
    }

    [Fact]
    public async Task Query_recovers_when_a_retry_succeeds()
    {
        var calls = 0;
        var handler = new FakeHandler(_ => Interlocked.Increment(ref calls) == 1
            ? FakeHandler.Json(HttpStatusCode.TooManyRequests, """{"code":"Throttling","message":"slow"}""")
            : FakeHandler.Json(HttpStatusCode.OK, """{"output":{"task_id":"t","task_status":"RUNNING"}}"""));
        var (provider, _) = Build(ValidConfig(), handler);
        using var _1 = provider;

        var status = await provider.GetRequiredService<IDashScopeClient>().GetTaskAsync("t");

        Assert.Equal(DashScopeTaskState.Running, status.State);
        Assert.Equal(2, handler.Count);
    }

    [Fact]
    public async Task Submit_503_is_never_retried()
    {
        var handler = new FakeHandler(_ => FakeHandler.Json(HttpStatusCode.ServiceUnavailable, """{"code":"ServiceUnavailable","message":"busy"}"""));
        var (provider, _) = Build(ValidConfig(), handler);
        using var _1 = provider;

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => provider.GetRequiredService<IDashScopeClient>().SubmitAsync(Request()));

        Assert.Equal(1, handler.Count);
        Assert.True(ex.IsTransient);
        Assert.Equal("enable", handler.Last.Headers["X-DashScope-Async"]);
    }

    [Fact]
    public async Task Submit_connection_failure_is_never_retried()
    {
        var handler = new FakeHandler(_ => throw new HttpRequestException("reset"));
        var (provider, _) = Build(ValidConfig(), handler);
        using var _1 = provider;

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => provider.GetRequiredService<IDashScopeClient>().SubmitAsync(Request()));

        Assert.Equal(1, handler.Count);
        Assert.Equal("ConnectionFailed", ex.Code);
    }

    [Fact]
    public async Task Cancel_and_list_503_are_retried()
    {
        var handler = new FakeHandler(_ => FakeHandler.Json(HttpStatusCode.ServiceUnavailable, """{"code":"ServiceUnavailable","message":"busy"}"""));
        var (provider, _) = Build(ValidConfig(), handler);
        using var _1 = provider;
        var client = provider.GetRequiredService<IDashScopeClient>();

        await Assert.ThrowsAsync<DashScopeException>(() => client.CancelAsync("t"));
        Assert.Equal(3, handler.Count);

        await Assert.ThrowsAsync<DashScopeException>(() => client.ListTasksAsync(new DashScopeTaskQuery()));
        Assert.Equal(6, handler.Count);
    }

    [Fact]
    public async Task Permanent_errors_are_not_retried()
    {
        var handler = new FakeHandler(_ => FakeHandler.Json(HttpStatusCode.Unauthorized, """{"code":"InvalidApiKey","message":"Invalid API-key provided."}"""));
        var (provider, _) = Build(ValidConfig(), handler);
        using var _1 = provider;

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => provider.GetRequiredService<IDashScopeClient>().GetTaskAsync("t"));

        Assert.Equal(1, handler.Count);
        Assert.Equal("InvalidApiKey", ex.Code);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task Max_attempts_of_one_disables_retries()
    {
        var handler = new FakeHandler(_ => FakeHandler.Json(HttpStatusCode.ServiceUnavailable, "{}"));
        var (provider, _) = Build(ValidConfig(("DashScope:MaxAttempts", "1")), handler);
        using var _1 = provider;

        await Assert.ThrowsAsync<DashScopeException>(() => provider.GetRequiredService<IDashScopeClient>().GetTaskAsync("t"));

        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task Attempt_timeout_surfaces_as_transient_timeout()
    {
        var handler = new FakeHandler(async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return new HttpResponseMessage(HttpStatusCode.OK);
        });
        var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.AddProvider(logs));
        services.AddDashScopeClient(ValidConfig(("DashScope:MaxAttempts", "1")), r => r.AttemptTimeout.Timeout = TimeSpan.FromMilliseconds(50))
            .ConfigurePrimaryHttpMessageHandler(() => handler);
        using var provider = services.BuildServiceProvider();

        var ex = await Assert.ThrowsAsync<DashScopeException>(() => provider.GetRequiredService<IDashScopeClient>().GetTaskAsync("t"));

        Assert.Equal("Timeout", ex.Code);
        Assert.True(ex.IsTransient);
    }

    [Fact]
    public async Task Caller_cancellation_through_the_pipeline_is_not_wrapped()
    {
        var handler = new FakeHandler(async (_, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return new HttpResponseMessage(HttpStatusCode.OK);
        });
        var (provider, _) = Build(ValidConfig(), handler);
        using var _1 = provider;
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => provider.GetRequiredService<IDashScopeClient>().GetTaskAsync("t", cts.Token));

        Assert.IsNotType<DashScopeException>(ex);
    }

    [Fact]
    public async Task Pipeline_logs_never_contain_the_key_or_signed_urls()
    {
        const string signed = "https://dashscope-result.oss.test/v.mp4?Expires=1&Signature=VIDEOSIGNATURE";
        var gets = 0;
        var handler = new FakeHandler(r => r.Method == HttpMethod.Post
            ? FakeHandler.Json(HttpStatusCode.OK, """{"output":{"task_status":"PENDING","task_id":"t"},"request_id":"r0"}""")
            : Interlocked.Increment(ref gets) == 1
                ? FakeHandler.Json(HttpStatusCode.ServiceUnavailable, """{"code":"ServiceUnavailable","message":"busy"}""")
                : FakeHandler.Json(HttpStatusCode.OK, $$$"""{"output":{"task_id":"t","task_status":"SUCCEEDED","video_url":"{{{signed}}}"}}"""));
        var (provider, logs) = Build(ValidConfig(), handler);
        using var _1 = provider;
        var client = provider.GetRequiredService<IDashScopeClient>();

        await client.SubmitAsync(Request("https://a.blob.test/c/x.mp4?sv=1&sig=SASSIGNATURE"));
        var status = await client.GetTaskAsync("t");

        Assert.Equal(signed, status.VideoUrl);
        Assert.Equal(3, handler.Count);
        var text = logs.Logger.AllText;
        Assert.Contains("DashScope task t is Succeeded", text);
        Assert.DoesNotContain(ApiKey, text);
        Assert.DoesNotContain("VIDEOSIGNATURE", text);
        Assert.DoesNotContain("SASSIGNATURE", text);
        Assert.DoesNotContain("Bearer", text);
    }
}
