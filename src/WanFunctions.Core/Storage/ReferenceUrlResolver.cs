using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;
using Microsoft.Extensions.Options;
using WanFunctions.Jobs;
using WanFunctions.Workflow;

namespace WanFunctions.Storage;

/// <summary>
/// Turns references into URLs DashScope can fetch: public URLs pass through; private blobs of the references container
/// (or <c>Storage:ExtraReferenceContainers</c>; any other is refused, <c>ReferenceNotAllowed</c>) become short-lived,
/// read-only SAS URLs (user delegation SAS under a managed identity, account-key SAS on Azurite).
/// The SAS URLs go to the provider only: never to a log, an exception message or durable history.
/// </summary>
public sealed class ReferenceUrlResolver(BlobServiceClient blobService, IOptions<StorageOptions> options, TimeProvider time)
{
    public async Task<IReadOnlyList<string>> ResolveAsync(IReadOnlyList<ValidatedReference> references, CancellationToken cancellationToken)
    {
        // Every blob is checked before any is signed: a refused one leaves no SAS behind.
        for (var i = 0; i < references.Count; i++)
        {
            if (references[i].Blob is { } named && BlobLocation.TrySplit(named, out var container, out _)
                && !options.Value.AllowsReferencesIn(container))
            {
                throw new ReferenceRejectedException(JobErrors.ReferenceNotAllowed,
                    $"references[{i}]: blob '{named}' is in container '{container}'; jobs may name blobs of '{options.Value.ReferencesContainer}' "
                    + "only (or of Storage:ExtraReferenceContainers).");
            }
        }

        var urls = new List<string>(references.Count);
        UserDelegationKey? delegationKey = null;
        var expiresOn = time.GetUtcNow() + options.Value.ReferenceSasLifetime;

        for (var i = 0; i < references.Count; i++)
        {
            var reference = references[i];
            if (reference.Url is not null)
            {
                urls.Add(reference.Url);
                continue;
            }

            var blob = BlobFor(reference.Blob!);
            await EnsureAcceptableAsync(blob, reference, i, cancellationToken);

            if (blob.CanGenerateSasUri)
            {
                urls.Add(blob.GenerateSasUri(BlobSasPermissions.Read, expiresOn).ToString());
                continue;
            }

            // Managed identity: no account key, so sign with a user delegation key (needs Storage Blob Delegator).
            // The client fills in the container, blob and resource ("b") and checks they are its own.
            delegationKey ??= (await blobService.GetUserDelegationKeyAsync(time.GetUtcNow().AddMinutes(-5), expiresOn, cancellationToken)).Value;
            var sas = new BlobSasBuilder(BlobSasPermissions.Read, expiresOn) { Protocol = SasProtocol.Https };
            urls.Add(blob.GenerateUserDelegationSasUri(sas, delegationKey).ToString());
        }

        return urls;
    }

    /// <summary>The provider's size limits (videos ≤ 100 MB, images ≤ 20 MB): refuse early rather than pay for a failed task.</summary>
    public static long MaxBytes(ReferenceKind kind) => kind == ReferenceKind.Video ? 100L * 1024 * 1024 : 20L * 1024 * 1024;

    private static async Task EnsureAcceptableAsync(BlobClient blob, ValidatedReference reference, int index, CancellationToken cancellationToken)
    {
        BlobProperties properties;
        try
        {
            properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw new ReferenceRejectedException(JobErrors.ReferenceNotFound, $"references[{index}]: blob '{reference.Blob}' does not exist.");
        }

        var max = MaxBytes(reference.Kind);
        if (properties.ContentLength > max)
        {
            throw new ReferenceRejectedException(JobErrors.ReferenceTooLarge,
                $"references[{index}]: blob '{reference.Blob}' is {properties.ContentLength / (1024.0 * 1024.0):0.#} MB; " +
                $"the provider takes {reference.Kind.ToString().ToLowerInvariant()}s of at most {max / (1024 * 1024)} MB.");
        }
    }

    private BlobClient BlobFor(string containerAndPath)
    {
        // Validation guaranteed the "container/path" shape; the split is the validator's own.
        BlobLocation.TrySplit(containerAndPath, out var container, out var name);
        return blobService.GetBlobContainerClient(container).GetBlobClient(name);
    }
}

/// <summary>A blob reference the provider would refuse (missing, too large): the job cannot be submitted.</summary>
public sealed class ReferenceRejectedException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
