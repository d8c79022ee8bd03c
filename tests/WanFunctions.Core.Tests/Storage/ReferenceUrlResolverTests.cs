using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Web;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;
using WanFunctions.Core.Tests.Api;
using WanFunctions.Jobs;
using WanFunctions.Storage;

namespace WanFunctions.Core.Tests.Storage;

/// <summary>
/// Private references under a managed identity (no account key): read-only, https-only SAS URLs signed with one user
/// delegation key. The account-key path (Azurite) is covered end to end by the integration tests.
/// </summary>
public class ReferenceUrlResolverTests
{
    private static readonly DateTimeOffset Now = new(2025, 3, 4, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Private_blobs_get_a_read_only_https_user_delegation_sas_and_public_urls_pass_through()
    {
        var storage = new FakeStorage();
        var blobService = new BlobServiceClient(new Uri("https://acct.blob.core.windows.net"), new FakeCredential(),
            new BlobClientOptions { Transport = new HttpClientTransport(new HttpClient(storage)) });
        var options = new StorageOptions();
        options.ExtraReferenceContainers.Add("other");
        var resolver = new ReferenceUrlResolver(blobService, Options.Create(options), new FixedTimeProvider(Now));

        var urls = await resolver.ResolveAsync(
        [
            new ValidatedReference(null, "references/people/a.png", ReferenceKind.Image),
            new ValidatedReference("https://example.com/b.mp4", null, ReferenceKind.Video),
            new ValidatedReference(null, "other/c.mp4", ReferenceKind.Video),
        ], CancellationToken.None);

        Assert.Equal("https://example.com/b.mp4", urls[1]);
        foreach ((var url, var path) in new[] { (urls[0], "/references/people/a.png"), (urls[2], "/other/c.mp4") })
        {
            var uri = new Uri(url);
            Assert.Equal("acct.blob.core.windows.net", uri.Host);
            Assert.Equal(path, uri.AbsolutePath);
            var sas = HttpUtility.ParseQueryString(uri.Query);
            Assert.Equal("r", sas["sp"]);
            Assert.Equal("https", sas["spr"]);
            Assert.Equal("b", sas["sr"]);
            Assert.Equal(Now.AddHours(3), DateTimeOffset.Parse(sas["se"]!, System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(FakeStorage.Oid, sas["skoid"]);
            Assert.False(string.IsNullOrEmpty(sas["sig"]));
        }

        // One delegation key for the whole job, valid from a little before now until the SAS expires.
        var keyRequest = Assert.Single(storage.KeyRequests);
        Assert.Contains("<Start>2025-03-04T09:55:00Z</Start>", keyRequest);
        Assert.Contains("<Expiry>2025-03-04T13:00:00Z</Expiry>", keyRequest);
    }

    [Theory]
    [InlineData("job-state/gates/default.json")]
    [InlineData("videos/2026/11/29/someone-else.mp4")]
    [InlineData("azure-webjobs-secrets/host.json")]
    public async Task A_blob_outside_the_reference_containers_is_refused_before_anything_is_signed(string blob)
    {
        var storage = new FakeStorage();
        var blobService = new BlobServiceClient(new Uri("https://acct.blob.core.windows.net"), new FakeCredential(),
            new BlobClientOptions { Transport = new HttpClientTransport(new HttpClient(storage)) });
        var resolver = new ReferenceUrlResolver(blobService, Options.Create(new StorageOptions()), new FixedTimeProvider(Now));

        var refused = await Assert.ThrowsAsync<ReferenceRejectedException>(() => resolver.ResolveAsync(
        [
            new ValidatedReference(null, "references/people/a.png", ReferenceKind.Image),
            new ValidatedReference(null, blob, ReferenceKind.Image),
        ], CancellationToken.None));

        Assert.Equal(WanFunctions.Workflow.JobErrors.ReferenceNotAllowed, refused.Code);
        Assert.Contains("references[1]", refused.Message, StringComparison.Ordinal);
        Assert.Empty(storage.KeyRequests); // nothing signed, not even the allowed reference
    }

    private sealed class FakeCredential : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new("token", DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    /// <summary>Answers the user delegation key request and every blob's properties (1 KB); no network.</summary>
    private sealed class FakeStorage : HttpMessageHandler
    {
        public const string Oid = "11111111-2222-3333-4444-555555555555";

        public ConcurrentQueue<string> KeyRequests { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Post && request.RequestUri!.Query.Contains("comp=userdelegationkey", StringComparison.Ordinal))
            {
                KeyRequests.Enqueue(await request.Content!.ReadAsStringAsync(cancellationToken));
                const string key = $"""
                    <?xml version="1.0" encoding="utf-8"?>
                    <UserDelegationKey><SignedOid>{Oid}</SignedOid><SignedTid>66666666-7777-8888-9999-000000000000</SignedTid>
                    <SignedStart>2025-03-04T09:55:00Z</SignedStart><SignedExpiry>2025-03-04T13:00:00Z</SignedExpiry>
                    <SignedService>b</SignedService><SignedVersion>2025-01-05</SignedVersion>
                    <Value>a2V5LWJ5dGVzLWZvci10aGUtdGVzdC0wMTIzNDU2Nzg5YWJjZGVm</Value></UserDelegationKey>
                    """;
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(key, Encoding.UTF8, "application/xml") };
            }

            if (request.Method == HttpMethod.Head)
            {
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(new byte[1024]) };
            }

            return new HttpResponseMessage(HttpStatusCode.NotImplemented);
        }
    }
}
