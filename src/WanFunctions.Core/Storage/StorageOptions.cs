using System.ComponentModel.DataAnnotations;

namespace WanFunctions.Storage;

/// <summary>
/// The storage account for references, job state and archived videos (section "Storage").
/// In Azure only <see cref="BlobServiceUri"/> is set and the managed identity signs in (DefaultAzureCredential);
/// a connection string is for Azurite only.
/// </summary>
public sealed class StorageOptions : IValidatableObject
{
    public const string SectionName = "Storage";

    public Uri? BlobServiceUri { get; set; }

    /// <summary>Azurite only ("UseDevelopmentStorage=true" or its explicit form).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Where uploads that start jobs land, and where <c>{"blob": "container/path"}</c> references live.</summary>
    [Required]
    public string ReferencesContainer { get; set; } = "references";

    /// <summary>
    /// Further containers whose blobs a job may name as references (empty by default). Only these and
    /// <see cref="ReferencesContainer"/> are ever signed for the provider: the account also holds the archived videos,
    /// the workflow's state and the task hub, which no caller may hand out.
    /// </summary>
    public IList<string> ExtraReferenceContainers { get; } = [];

    /// <summary>Whether a job may name a blob of <paramref name="container"/> as a reference.</summary>
    public bool AllowsReferencesIn(string container) =>
        string.Equals(container, ReferencesContainer, StringComparison.Ordinal)
        || ExtraReferenceContainers.Contains(container, StringComparer.Ordinal);

    /// <summary>Small records that make activities safe to run twice (e.g. the provider task id of a submitted job).</summary>
    [Required]
    public string StateContainer { get; set; } = "job-state";

    /// <summary>How long the read-only SAS URLs handed to DashScope for private references stay valid.</summary>
    [Range(typeof(TimeSpan), "00:05:00", "1.00:00:00")]
    public TimeSpan ReferenceSasLifetime { get; set; } = TimeSpan.FromHours(3);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BlobServiceUri is null == string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return new ValidationResult(
                "Set exactly one of Storage:BlobServiceUri (Azure, managed identity) or Storage:ConnectionString (Azurite).",
                [nameof(BlobServiceUri), nameof(ConnectionString)]);
        }

        if (BlobServiceUri is { IsAbsoluteUri: false })
        {
            yield return new ValidationResult("Storage:BlobServiceUri must be an absolute URL.", [nameof(BlobServiceUri)]);
        }
    }
}
