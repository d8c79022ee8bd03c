using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.Options;
using WanFunctions.Api;
using WanFunctions.Capacity;
using WanFunctions.Telemetry;
using WanFunctions.Workflow;

namespace WanFunctions.LocalHost;

/// <summary>
/// The development, test and demo host: the same orchestrator, activities and HTTP endpoints as the Functions app,
/// on the Durable Task SDK with Azure Storage as the durable backend (Azurite locally). Not for production: its gRPC
/// sidecar comes from the preview testing package Microsoft.DurableTask.InProcessTestHost, and production runs on
/// Azure Functions (Flex Consumption). See README.md beside it.
/// </summary>
public sealed class LocalHostApp : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly DurableSidecar sidecar;
    private readonly GrpcChannel channel;

    private LocalHostApp(WebApplication app, DurableSidecar sidecar, GrpcChannel channel)
    {
        this.app = app;
        this.sidecar = sidecar;
        this.channel = channel;
    }

    public IServiceProvider Services => app.Services;

    public DurableTaskClient Client => app.Services.GetRequiredService<DurableTaskClient>();

    /// <summary>The HTTP API's base address (the first one Kestrel bound).</summary>
    public Uri BaseAddress => new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <param name="configureServices">Last word on the services (tests add an in-memory telemetry exporter here).</param>
    public static async Task<LocalHostApp> StartAsync(string[] args, Action<ConfigurationManager>? configure = null,
        Action<IServiceCollection>? configureServices = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder.Configuration);
        builder.Services.AddWanFunctions(builder.Configuration);
        builder.Services.AddWanTelemetry(builder.Configuration, "WanFunctions.LocalHost");
        builder.Services.AddHealthChecks();
        builder.Services.AddHostedService<JobHistoryPurgeService>();
        // Azurite has no Event Grid: uploads are found by listing (the Functions app has the blob trigger).
        builder.Services.AddOptions<UploadScanOptions>().BindConfiguration(UploadScanOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<UploadScanner>();
        builder.Services.AddHostedService(services => services.GetRequiredService<UploadScanner>());
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(20));

        var durable = ReadDurableOptions(builder.Configuration);
        var apiKeys = ApiKeyOptions.Read(builder.Configuration, builder.Environment);
        builder.Services.AddSingleton(apiKeys);
        builder.Services.AddApiDocument(apiKeys);
        var loggerFactory = LoggerFactory.Create(logging => logging
            .AddConfiguration(builder.Configuration.GetSection("Logging"))
            .AddSimpleConsole(console => console.SingleLine = true));

        // The sidecar starts first and stops last: the worker must never outlive the backend it talks to.
        var sidecar = await DurableSidecar.StartAsync(durable, loggerFactory, cancellationToken);
        var channel = GrpcChannel.ForAddress(sidecar.Address);
        builder.Services.AddDurableTaskWorker(worker =>
        {
            worker.UseGrpc(channel);
            worker.AddTasks(RegisterWorkflow);
        });
        builder.Services.AddDurableTaskClient(client =>
        {
            client.UseGrpc(channel);
            client.RegisterDirectly();
        });
        // The capacity activities wake granted jobs through the client (the Functions app passes one per call).
        builder.Services.AddSingleton<IJobWaker>(services => new DurableClientJobWaker(
            services.GetRequiredService<DurableTaskClient>(), services.GetRequiredService<ILogger<DurableClientJobWaker>>()));

        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        MapEndpoints(app);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await sidecar.DisposeAsync();
            throw;
        }

        return new LocalHostApp(app, sidecar, channel);
    }

    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        await channel.ShutdownAsync();
        channel.Dispose();
        await sidecar.DisposeAsync();
    }

    /// <summary>
    /// Registers the workflow from <see cref="WorkflowRegistry"/>, the list the Functions app's adapters are checked
    /// against, so a job started by either host runs on either.
    /// </summary>
    private static void RegisterWorkflow(DurableTaskRegistry tasks)
    {
        tasks.AddOrchestrator(WorkflowRegistry.Orchestrator.Name, WorkflowRegistry.Orchestrator.ImplementationType);
        foreach (var activity in WorkflowRegistry.Activities)
        {
            tasks.AddActivity(activity.Name, services => new SdkActivity(activity, services,
                services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping));
        }
    }

    private static void MapEndpoints(WebApplication app)
    {
        // An unhandled exception answers a problem-details 500 with no exception details, in every environment:
        // this handler sits inside the developer exception page that Development adds, so that page never runs.
        app.UseExceptionHandler();
        app.UseMiddleware<ApiKeyMiddleware>();
        app.MapHttpApi();
        app.MapOpenApi(OpenApiMetadata.DocumentPath);
        app.MapHealthChecks("/healthz");
    }

    /// <summary>
    /// The durable backend's options, bound and validated by the options pipeline (data annotations, and a storage
    /// connection or account). The sidecar starts before the app is built, so they come from a provider of their own:
    /// a bad setting throws <see cref="OptionsValidationException"/> here, before anything has started.
    /// </summary>
    private static DurableBackendOptions ReadDurableOptions(ConfigurationManager configuration)
    {
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddOptions<DurableBackendOptions>()
            .BindConfiguration(DurableBackendOptions.SectionName)
            .PostConfigure(options => options.StorageConnectionString ??= configuration["Storage:ConnectionString"])
            .ValidateDataAnnotations()
            .Validate(options => !string.IsNullOrEmpty(options.StorageConnectionString) || !string.IsNullOrEmpty(options.StorageAccountName),
                "Set DurableTask:StorageConnectionString (Azurite) or DurableTask:StorageAccountName (managed identity).");
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<DurableBackendOptions>>().Value;
    }
}
