using Azure.Identity;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WanFunctions.Api;
using WanFunctions.Capacity;
using WanFunctions.DashScope;
using WanFunctions.Jobs;
using WanFunctions.Storage;
using WanFunctions.Workflow;
using WanFunctions.Workflow.Activities;

namespace WanFunctions;

public static class WanFunctionsServiceCollectionExtensions
{
    /// <summary>
    /// Everything the workflow needs, for either host: options (validated at start-up), the DashScope client,
    /// Blob Storage, the activities and the HTTP endpoints with their problem-details service.
    /// </summary>
    /// <param name="configuration">
    /// The app's root configuration; options bind from the <see cref="IConfiguration"/> service, so it is registered
    /// as that when the host has not registered one (both hosts do, with this same configuration).
    /// </param>
    public static IServiceCollection AddWanFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddDashScopeClient(configuration);
        AddValidatedOptions<StorageOptions>(services, StorageOptions.SectionName);
        AddValidatedOptions<ArchiveOptions>(services, ArchiveOptions.SectionName);
        AddValidatedOptions<WorkflowOptions>(services, WorkflowOptions.SectionName);
        services.AddSingleton<IValidateOptions<WorkflowOptions>, WorkflowOptionsValidator>();
        AddValidatedOptions<CallbackOptions>(services, CallbackOptions.SectionName);
        AddValidatedOptions<GateOptions>(services, GateOptions.SectionName);
        services.AddSingleton<IValidateOptions<GateOptions>, GateOptionsValidator>();

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => CreateBlobServiceClient(sp.GetRequiredService<IOptions<StorageOptions>>().Value));
        // A job is checked against the regions the account pool covers.
        services.AddSingleton(sp => new JobValidator(sp.GetRequiredService<IOptions<DashScopeOptions>>().Value.Pool.Select(a => a.Region).ToList()));

        services.AddHttpClient(VideoArchiver.HttpClientName, client => client.Timeout = TimeSpan.FromMinutes(10));
        services.AddHttpClient(NotifyCallbackActivity.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(30));

        services.AddSingleton<ReferenceUrlResolver>();
        services.AddSingleton<ISubmissionLedger, SubmissionLedger>();
        services.AddSingleton<VideoSourcePolicy>();
        services.AddSingleton<VideoArchiver>();
        foreach (var activity in WorkflowRegistry.Activities)
        {
            services.AddSingleton(activity.ImplementationType);
        }

        services.AddSingleton<IGateStore, BlobGateStore>();
        services.AddSingleton<IPollStatsStore, BlobPollStatsStore>();
        services.AddSingleton<CapacityGates>();
        services.AddSingleton<DoorAdmission>();
        services.AddSingleton<GateEndpoints>();
        services.AddSingleton<IIdempotencyRecords, BlobIdempotencyRecords>();
        services.AddSingleton<JobStarter>();
        services.AddSingleton<VideoJobEndpoints>();
        services.AddProblemDetails();
        services.AddSingleton<BlobJobStarter>();
        services.AddSingleton<JobHistoryPurger>();
        return services;
    }

    /// <summary>Managed identity (DefaultAzureCredential) in Azure; a connection string only for Azurite.</summary>
    public static BlobServiceClient CreateBlobServiceClient(StorageOptions options) =>
        options.BlobServiceUri is { } uri
            ? new BlobServiceClient(uri, new DefaultAzureCredential())
            : new BlobServiceClient(options.ConnectionString);

    private static void AddValidatedOptions<T>(IServiceCollection services, string section)
        where T : class =>
        services.AddOptions<T>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();
}
