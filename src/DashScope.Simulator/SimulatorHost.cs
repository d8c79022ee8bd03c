using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace DashScope.Simulator;

/// <summary>
/// Runs the simulator in-process on 127.0.0.1 with a free port, for tests:
/// <code>await using var sim = await SimulatorHost.StartAsync(new SimulatorOptions { SpeedFactor = 0.01 });</code>
/// </summary>
public sealed class SimulatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly RequestRecorder _recorder;

    private SimulatorHost(WebApplication app, Uri baseUrl, SimulatorOptions options)
    {
        _app = app;
        _recorder = app.Services.GetRequiredService<RequestRecorder>();
        BaseUrl = baseUrl;
        Options = options;
    }

    /// <summary>Root of the simulator, e.g. http://127.0.0.1:41234/ (use it as the DashScope base URL).</summary>
    public Uri BaseUrl { get; }

    /// <summary>The key the simulator accepts.</summary>
    public string ApiKey => Options.ApiKey;

    /// <summary>The effective (validated) options.</summary>
    public SimulatorOptions Options { get; }

    /// <summary>Snapshot of every request received so far, oldest first (the /_sim hooks excluded).</summary>
    public IReadOnlyList<RecordedRequest> Requests => _recorder.Snapshot();

    public void ClearRequests() => _recorder.Clear();

    /// <summary>The most provider tasks PENDING or RUNNING at once so far (see <see cref="TaskStore.PeakActive"/>).</summary>
    public int PeakActiveTasks => _app.Services.GetRequiredService<TaskStore>().PeakActive;

    /// <summary>The most tasks of one account (its label, see <see cref="SimulatorOptions.AccountOf"/>) PENDING or RUNNING at once so far.</summary>
    public int PeakActiveTasksOf(string account) => _app.Services.GetRequiredService<TaskStore>().PeakActiveOf(account);

    /// <summary>Service provider of the running app (e.g. to reach <see cref="TaskStore"/>).</summary>
    public IServiceProvider Services => _app.Services;

    public static Task<SimulatorHost> StartAsync(SimulatorOptions? options = null, CancellationToken ct = default) =>
        StartAsync(options, TimeProvider.System, ct);

    /// <summary>As above, with a clock the test controls (URL expiry, task expiry, lifecycle without waiting).</summary>
    public static async Task<SimulatorHost> StartAsync(SimulatorOptions? options, TimeProvider clock, CancellationToken ct = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddDashScopeSimulator(builder.Configuration, options ?? new SimulatorOptions(), clock);

        var app = builder.Build();
        app.UseDashScopeSimulator();
        try
        {
            await app.StartAsync(ct);
        }
        catch
        {
            await app.DisposeAsync(); // e.g. options validation failed: do not leak the half-built host
            throw;
        }

        // Port 0 means Kestrel picked the port; the server's address feature has the real one.
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var effective = app.Services.GetRequiredService<SimulatorOptions>();
        return new SimulatorHost(app, new Uri(address.TrimEnd('/') + "/"), effective);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
