using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Sas;
using Microsoft.Extensions.Options;
using WanFunctions.Jobs;

namespace WanFunctions.Storage;

/// <summary>
/// Turns references into URLs DashScope can fetch: public URLs pass through; private blobs become short-lived,
/// read-only SAS URLs (user delegation SAS under a managed identity, account-key SAS on Azurite).
/// The SAS URLs go to the provider only: never to a log, an exception message or durable history.
/// </summary>
public sealed class ReferenceUrlResolver(BlobServiceClient blobService, IOptions<StorageOptions> options, TimeProvider time)
{
    public async Task<IReadOnlyList<string>> ResolveAsync(IReadOnlyList<ValidatedReference> references, CancellationToken cancellationToken)
    {
        var urls = new List<string>(references.Count);
        UserDelegationKey? delegationKey = null;
        DateTimeOffset expiresOn = time.GetUtcNow() + options.Value.ReferenceSasLifetime;

        for (int i = 0; i < references.Count; i++)
        {
            ValidatedReference reference = references[i];
            if (reference.Url is not null)
            {
                urls.Add(reference.Url);
                continue;
            }

            BlobClient blob = BlobFor(reference.Blob!);
            if (!await blob.ExistsAsync(cancellationToken))
            {
                throw new ReferenceNotFoundException($"references[{i}]: blob '{reference.Blob}' does not exist.");
            }

            if (blob.CanGenerateSasUri)
            {
                urls.Add(blob.GenerateSasUri(BlobSasPermissions.Read, expiresOn).ToString());
                continue;
            }

            // Managed identity: no account key, so sign with a user delegation key (needs Storage Blob Delegator).
            delegationKey ??= (await blobService.GetUserDelegationKeyAsync(time.GetUtcNow().AddMinutes(-5), expiresOn, cancellationToken)).Value;
            var sas = new BlobSasBuilder(BlobSasPermissions.Read, expiresOn)
            {
                BlobContainerName = blob.BlobContainerName,
                BlobName = blob.Name,
                Resource = "b",
                Protocol = SasProtocol.Https,
            };
            urls.Add(new BlobUriBuilder(blob.Uri) { Sas = sas.ToSasQueryParameters(delegationKey, blobService.AccountName) }.ToUri().ToString());
        }

        return urls;
    }

    BlobClient BlobFor(string containerAndPath)
    {
        int slash = containerAndPath.IndexOf('/');
        return blobService.GetBlobContainerClient(containerAndPath[..slash]).GetBlobClient(containerAndPath[(slash + 1)..]);
    }
}

/// <summary>A blob reference that does not exist: the job cannot be submitted.</summary>
public sealed class ReferenceNotFoundException(string message) : Exception(message);
