using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WanFunctions.DashScope;

namespace WanFunctions.Core.Tests.DashScope;

/// <summary>The pool of accounts: binding, start-up validation, and a client per account with its own key and URL.</summary>
public class DashScopePoolTests
{
    private const string Key1 = "sk-pool-first-0123456789";
    private const string Key2 = "sk-pool-second-0123456789";

    private static ServiceProvider Build(FakeHandler handler, params (string Key, string? Value)[] settings)
    {
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddDashScopeClient(config).ConfigurePrimaryHttpMessageHandler(() => handler);
        return services.BuildServiceProvider();
    }

    private static readonly (string, string?)[] TwoAccounts =
    [
        ("DashScope:BaseUrl", "https://one.test"),
        ("DashScope:ApiKey", Key1),
        ("DashScope:Region", "International"),
        ("DashScope:MaxConcurrentTasks", "3"),
        ("DashScope:Accounts:0:Name", "beijing"),
        ("DashScope:Accounts:0:ApiKey", Key2),
        ("DashScope:Accounts:0:BaseUrl", "https://two.test/gw"),
        ("DashScope:Accounts:0:Region", "ChineseMainland"),
        ("DashScope:Accounts:0:MaxSubmitsPerSecond", "2"),
    ];

    [Fact]
    public void The_single_key_and_the_accounts_make_one_pool_unset_values_coming_from_the_section()
    {
        using var provider = Build(new FakeHandler(_ => new HttpResponseMessage()), TwoAccounts);

        var pool = provider.GetRequiredService<IOptions<DashScopeOptions>>().Value.Pool;

        Assert.Equal(["default", "beijing"], pool.Select(a => a.Name));
        Assert.Equal((new Uri("https://one.test"), DashScopeRegion.International, 3, 5),
            (pool[0].BaseUrl, pool[0].Region, pool[0].MaxConcurrentTasks, pool[0].MaxSubmitsPerSecond));
        Assert.Equal((new Uri("https://two.test/gw"), DashScopeRegion.ChineseMainland, 3, 2),
            (pool[1].BaseUrl, pool[1].Region, pool[1].MaxConcurrentTasks, pool[1].MaxSubmitsPerSecond));
        Assert.DoesNotContain(Key2, pool[1].ToString());
        Assert.DoesNotContain(Key2, provider.GetRequiredService<IOptions<DashScopeOptions>>().Value.Accounts[0].ToString());
    }

    [Fact]
    public void Accounts_alone_are_a_pool_without_the_single_key_and_take_their_regions_endpoint()
    {
        using var provider = Build(new FakeHandler(_ => new HttpResponseMessage()),
            ("DashScope:Accounts:0:Name", "us"), ("DashScope:Accounts:0:ApiKey", Key2), ("DashScope:Accounts:0:Region", "Global"));
        provider.GetRequiredService<IStartupValidator>().Validate();

        var account = Assert.Single(provider.GetRequiredService<IDashScopeClientFactory>().Accounts);

        Assert.Equal(("us", new Uri("https://dashscope-us.aliyuncs.com")), (account.Name, account.BaseUrl));
    }

    public static TheoryData<string, string?, string> InvalidPools => new()
    {
        { "DashScope:Accounts:0:Name", "", "DashScope:Accounts:0:Name is required" },
        { "DashScope:Accounts:0:Name", "default", "'default' is used by another account" },
        { "DashScope:Accounts:0:ApiKey", "", "DashScope:Accounts:0:ApiKey is required" },
        { "DashScope:Accounts:0:ApiKey", "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/two)", "DashScope:Accounts:0:ApiKey is an unresolved Key Vault reference" },
        { "DashScope:Accounts:0:BaseUrl", "ftp://two.test", "DashScope:Accounts:0:BaseUrl must be an absolute http or https URL" },
        { "DashScope:Accounts:0:MaxConcurrentTasks", "0", "DashScope:Accounts:0:MaxConcurrentTasks must be between 1 and 1000" },
        { "DashScope:Accounts:0:MaxSubmitsPerSecond", "1001", "DashScope:Accounts:0:MaxSubmitsPerSecond must be between 1 and 1000" },
    };

    [Theory]
    [MemberData(nameof(InvalidPools))]
    public void An_invalid_account_stops_the_start_with_a_message_naming_the_setting_never_a_key(string key, string? value, string expected)
    {
        using var provider = Build(new FakeHandler(_ => new HttpResponseMessage()), [.. TwoAccounts.Where(s => s.Item1 != key), (key, value)]);

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<DashScopeOptions>>().Value);

        Assert.Contains(ex.Failures, f => f.Contains(expected, StringComparison.Ordinal));
        Assert.DoesNotContain(Key1, ex.Message);
        Assert.DoesNotContain(Key2, ex.Message);
    }

    [Fact]
    public void Two_accounts_with_one_name_are_refused()
    {
        using var provider = Build(new FakeHandler(_ => new HttpResponseMessage()),
        [
            .. TwoAccounts, ("DashScope:Accounts:1:Name", "beijing"), ("DashScope:Accounts:1:ApiKey", "sk-third"),
        ]);

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<DashScopeOptions>>().Value);

        Assert.Contains(ex.Failures, f => f.Contains("DashScope:Accounts:1:Name 'beijing' is used by another account", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Each_account_calls_its_own_endpoint_with_its_own_key_and_an_unknown_account_is_a_clear_error()
    {
        var handler = new FakeHandler(_ => FakeHandler.Json(HttpStatusCode.OK, """{"output":{"task_id":"t-1","task_status":"RUNNING"},"request_id":"r"}"""));
        using var provider = Build(handler, TwoAccounts);
        var clients = provider.GetRequiredService<IDashScopeClientFactory>();

        await clients.ClientOf("beijing").GetTaskAsync("t-1");
        await clients.ClientOf(null).GetTaskAsync("t-1");

        var sent = handler.Requests.ToArray();
        Assert.Equal("https://two.test/gw/api/v1/tasks/t-1", sent[0].Uri.AbsoluteUri);
        Assert.Equal("Bearer " + Key2, sent[0].Headers["Authorization"]);
        Assert.Equal("https://one.test/api/v1/tasks/t-1", sent[1].Uri.AbsoluteUri);
        Assert.Equal("Bearer " + Key1, sent[1].Headers["Authorization"]);
        var ex = Assert.Throws<InvalidOperationException>(() => clients.ClientOf("gone"));
        Assert.Contains("'gone'", ex.Message);
        Assert.DoesNotContain(Key1, ex.Message);
    }

    [Fact]
    public async Task An_endpoint_that_keeps_failing_opens_its_own_circuit_not_the_other_accounts()
    {
        // one.test answers 503 to everything; two.test works.
        var handler = new FakeHandler(r => r.RequestUri!.Host == "one.test"
            ? new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
            : FakeHandler.Json(HttpStatusCode.OK, """{"output":{"task_id":"t-1","task_status":"RUNNING"},"request_id":"r"}"""));
        var config = new ConfigurationBuilder().AddInMemoryCollection(TwoAccounts.Append(("DashScope:MaxAttempts", "1"))
            .Select(s => new KeyValuePair<string, string?>(s.Item1, s.Item2))).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddDashScopeClient(config, resilience =>
        {
            resilience.CircuitBreaker.MinimumThroughput = 2;
            resilience.CircuitBreaker.FailureRatio = 0.5;
        }).ConfigurePrimaryHttpMessageHandler(() => handler);
        using var provider = services.BuildServiceProvider();
        var clients = provider.GetRequiredService<IDashScopeClientFactory>();

        var codes = new List<string?>();
        for (var i = 0; i < 4; i++)
        {
            codes.Add((await Assert.ThrowsAsync<DashScopeException>(() => clients.ClientOf(null).GetTaskAsync("t-1"))).Code);
        }

        Assert.Contains("CircuitOpen", codes); // the failing endpoint's circuit opened …
        var status = await clients.ClientOf("beijing").GetTaskAsync("t-1"); // … and the other account's calls still go out
        Assert.Equal(DashScopeTaskState.Running, status.State);
    }
}
