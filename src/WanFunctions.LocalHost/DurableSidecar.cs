using Azure.Identity;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;

namespace WanFunctions.LocalHost;

/// <summary>
/// The Durable Task gRPC sidecar over the Azure Storage orchestration service, on a loopback port of its own.
/// This plays the role the Functions host plays in Azure: the SDK worker and client talk to it over gRPC,
/// and it keeps state in the same queues, tables and blobs Durable Functions uses.
/// </summary>
public sealed partial class DurableSidecar : IAsyncDisposable
{
    private readonly WebApplication host;
    private readonly StopOnceOrchestrationService service;

    private DurableSidecar(WebApplication host, StopOnceOrchestrationService service, Uri address)
    {
        this.host = host;
        this.service = service;
        Address = address;
    }

    public Uri Address { get; }

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    public static async Task<DurableSidecar> StartAsync(DurableBackendOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var storage = new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = options.TaskHub,
            StorageAccountClientProvider = options.StorageConnectionString is { Length: > 0 } connectionString
                ? new StorageAccountClientProvider(connectionString)
                : new StorageAccountClientProvider(options.StorageAccountName!, new DefaultAzureCredential()),
            WorkerId = options.WorkerId,
            PartitionCount = options.PartitionCount,
            MaxQueuePollingInterval = options.MaxQueuePollingInterval,
            WorkItemQueueVisibilityTimeout = options.MessageVisibilityTimeout,
            ControlQueueVisibilityTimeout = options.MessageVisibilityTimeout,
            LeaseInterval = options.LeaseInterval,
            LeaseRenewInterval = options.LeaseInterval / 3,
            LeaseAcquireInterval = options.LeaseInterval / 3,
            LoggerFactory = loggerFactory,
        });
        await storage.CreateIfNotExistsAsync();
        var service = new StopOnceOrchestrationService(storage);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(System.Net.IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<IOrchestrationService>(service);
        builder.Services.AddSingleton<IOrchestrationServiceClient>(storage);
        builder.Services.AddSingleton<TaskHubGrpcServer>();

        var host = builder.Build();
        host.MapGrpcService<TaskHubGrpcServer>();
        await host.StartAsync(cancellationToken);

        var address = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new DurableSidecar(host, service, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        // The gRPC server starts the orchestration service when the first worker connects and stops it from a
        // fire-and-forget handler when the host stops. Wait for that stop: until it completes, the service holds
        // the partition leases and keeps taking control-queue messages, so a host restarted in the same process
        // would never see them.
        await host.StopAsync();
        try
        {
            // Bounded: with its storage gone the service retries forever, and a shutdown must end.
            await service.StopAsync().WaitAsync(StopTimeout);
        }
        catch (TimeoutException)
        {
            LogStopTimedOut(host.Services.GetRequiredService<ILoggerFactory>().CreateLogger<DurableSidecar>(), StopTimeout);
        }

        await host.DisposeAsync();
    }
}

// Log lines: ids, states and codes only, never a URL or a key.
public sealed partial class DurableSidecar
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "The orchestration service did not stop within {Timeout}; leaving its leases to expire.")]
    private static partial void LogStopTimedOut(ILogger logger, TimeSpan timeout);
}
