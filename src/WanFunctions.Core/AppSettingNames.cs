namespace WanFunctions;

/// <summary>
/// Every app setting the code reads, in one list. The infra tests check that the Bicep sets each of them,
/// so the deployment and the code cannot drift apart. Names use the Functions "__" section separator.
/// </summary>
public static class AppSettingNames
{
    public const string DashScopeBaseUrl = "DashScope__BaseUrl";
    public const string DashScopeApiKey = "DashScope__ApiKey";
    public const string DashScopeRegion = "DashScope__Region";

    /// <summary>Blob endpoint of the storage account (managed identity); set by infra/app/api.bicep.</summary>
    public const string StorageBlobServiceUri = "Storage__BlobServiceUri";

    /// <summary>Container whose uploads start jobs; the Event Grid subscription filters on the same name.</summary>
    public const string StorageReferencesContainer = "Storage__ReferencesContainer";

    /// <summary>Container the finished videos are archived to (the lifecycle policy manages it).</summary>
    public const string ArchiveContainer = "Archive__Container";

    /// <summary>Settings a production deployment must provide (the rest have safe defaults).</summary>
    public static IReadOnlyList<string> Required { get; } =
    [
        DashScopeBaseUrl,
        DashScopeApiKey,
        DashScopeRegion,
    ];
}
