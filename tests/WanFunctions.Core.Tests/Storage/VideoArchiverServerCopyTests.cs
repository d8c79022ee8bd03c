using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Moq;
using WanFunctions.Core.Tests.DashScope;
using WanFunctions.DashScope;
using WanFunctions.Storage;
using WanFunctions.Workflow;

namespace WanFunctions.Core.Tests.Storage;

/// <summary>
/// The archive's two paths over a fake Blob service (the SDK's real requests, answered in memory): the server-side copy
/// when the service does it, the streamed copy when it refuses, and what it remembers. Azurite, which answers 501, runs
/// the fallback in the integration tests.
/// </summary>
public sealed class VideoArchiverServerCopyTests
{
    private const string Signature = "Signature=secret-signature";
    private const string VideoUrl = "https://dashscope-result-sgp.oss-ap-southeast-1.aliyuncs.com/1d/task-1.mp4?Expires=4102444800&OSSAccessKeyId=ak&" + Signature;
    private static readonly byte[] _video = Encoding.ASCII.GetBytes("\0\0\0\u0018ftypisom a tiny but real enough video");

    [Fact]
    public async Task A_service_that_copies_from_the_url_gets_one_Put_Blob_From_URL_and_no_byte_goes_through_the_worker()
    {
        var world = new World();

        var video = await world.Archiver.ArchiveAsync(Input("job-1"), CancellationToken.None);

        Assert.Equal(ArchiveMethods.ServerCopy, video.Method);
        Assert.Equal(_video.Length, video.Bytes);
        Assert.False(video.AlreadyArchived);
        var copy = Assert.Single(world.Storage.Requests, r => r.IsCopy);
        Assert.Equal(VideoUrl, copy.Headers["x-ms-copy-source"]);
        Assert.Equal("video/mp4", copy.Headers["x-ms-blob-content-type"]);
        Assert.Equal("task-1", copy.Headers["x-ms-meta-taskid"]);
        Assert.Equal("job-1", copy.Headers["x-ms-meta-jobid"]);
        Assert.Equal("server-copy", copy.Headers["x-ms-meta-archivemethod"]);
        Assert.Empty(world.Download.Requests);
        Assert.DoesNotContain(Signature, world.Log.AllText);
    }

    [Fact]
    public async Task A_501_falls_back_to_streaming_and_the_service_is_not_asked_again_for_a_while()
    {
        var world = new World { CopyAnswer = _ => StorageFake.Error(HttpStatusCode.NotImplemented, "APINotImplemented") };

        var first = await world.Archiver.ArchiveAsync(Input("job-1"), CancellationToken.None);
        var second = await world.Archiver.ArchiveAsync(Input("job-2"), CancellationToken.None);

        Assert.Equal(ArchiveMethods.Streamed, first.Method);
        Assert.Equal(ArchiveMethods.Streamed, second.Method);
        Assert.Equal(_video.Length, first.Bytes);
        Assert.Equal(_video, world.Storage.Committed[first.BlobName].Body);
        Assert.Equal("streamed", world.Storage.Committed[first.BlobName].Metadata["archivemethod"]);
        Assert.Single(world.Storage.Requests, r => r.IsCopy);
        Assert.Equal(2, world.Download.Count);

        world.Time.Advance(TimeSpan.FromMinutes(11));
        await world.Archiver.ArchiveAsync(Input("job-3"), CancellationToken.None);

        Assert.Equal(2, world.Storage.Requests.Count(r => r.IsCopy));
        Assert.DoesNotContain(Signature, world.Log.AllText);
        Assert.Contains("APINotImplemented", world.Log.AllText);
    }

    [Fact]
    public async Task A_source_the_service_cannot_reach_is_streamed_this_time_and_tried_server_side_again_next_time()
    {
        var world = new World { CopyAnswer = _ => StorageFake.Error(HttpStatusCode.Forbidden, "CannotVerifyCopySource", $"Could not verify {VideoUrl}") };

        var first = await world.Archiver.ArchiveAsync(Input("job-1"), CancellationToken.None);
        await world.Archiver.ArchiveAsync(Input("job-2"), CancellationToken.None);

        Assert.Equal(ArchiveMethods.Streamed, first.Method);
        Assert.Equal(2, world.Storage.Requests.Count(r => r.IsCopy));
        Assert.DoesNotContain(Signature, world.Log.AllText);
    }

    [Fact]
    public async Task A_real_failure_of_the_copy_is_thrown_without_the_signed_url_and_nothing_is_streamed()
    {
        var world = new World
        {
            CopyAnswer = _ => StorageFake.Error(HttpStatusCode.Forbidden, "AuthorizationPermissionMismatch",
                $"This request is not authorized to perform this operation using this permission. Source {VideoUrl}"),
        };

        var ex = await Assert.ThrowsAsync<IOException>(() => world.Archiver.ArchiveAsync(Input("job-1"), CancellationToken.None));

        Assert.Contains("task-1", ex.Message);
        Assert.Contains("403 AuthorizationPermissionMismatch", ex.Message);
        Assert.Contains("not authorized", ex.Message);
        Assert.DoesNotContain(Signature, ex.ToString());
        Assert.Empty(world.Download.Requests);
        Assert.Empty(world.Storage.Committed);
    }

    [Fact]
    public async Task A_video_over_the_Put_Blob_From_URL_limit_is_copied_server_side_in_100_MiB_blocks()
    {
        const long Size = 250L * 1024 * 1024;
        var world = new World { SourceLength = Size, CopyAnswer = _ => StorageFake.Error(HttpStatusCode.RequestEntityTooLarge, "RequestBodyTooLarge") };

        var video = await world.Archiver.ArchiveAsync(Input("job-1"), CancellationToken.None);

        Assert.Equal(ArchiveMethods.ServerCopy, video.Method);
        Assert.Equal(Size, video.Bytes);
        // The size comes from a one-byte ranged GET; the bytes themselves never come through the worker.
        var probe = Assert.Single(world.Download.Requests);
        Assert.Equal("bytes=0-0", probe.Headers["Range"]);
        var blocks = world.Storage.Requests.Where(r => r.Query.Contains("comp=block&", StringComparison.Ordinal)).ToArray();
        Assert.All(blocks, b => Assert.Equal(VideoUrl, b.Headers["x-ms-copy-source"]));
        Assert.Equal(
            ["bytes=0-104857599", "bytes=104857600-209715199", "bytes=209715200-262143999"],
            blocks.Select(b => b.Headers["x-ms-source-range"]).Order());
        var commit = Assert.Single(world.Storage.Requests, r => r.Query.Contains("comp=blocklist", StringComparison.Ordinal));
        Assert.Equal("video/mp4", commit.Headers["x-ms-blob-content-type"]);
        Assert.Equal("server-copy", commit.Headers["x-ms-meta-archivemethod"]);
        Assert.Equal(3, world.Storage.Committed[video.BlobName].BlockCount);
    }

    [Fact]
    public async Task A_blob_already_holding_the_tasks_video_reports_the_method_that_archived_it()
    {
        var world = new World();
        world.Storage.Committed["2025/03/04/job-1.mp4"] = new StoredBlob(_video, new Dictionary<string, string>
        {
            ["taskid"] = "task-1",
            ["archivemethod"] = "streamed",
        });

        var video = await world.Archiver.ArchiveAsync(Input("job-1"), CancellationToken.None);

        Assert.True(video.AlreadyArchived);
        Assert.Equal(ArchiveMethods.Streamed, video.Method);
        Assert.DoesNotContain(world.Storage.Requests, r => r.IsCopy);
    }

    private static ArchiveVideoInput Input(string jobId) =>
        new(jobId, "task-1", $"2025/03/04/{jobId}.mp4", "wan2.6-r2v-flash", "1280*720", 5, new string('0', 64));

    private sealed class World
    {
        public World()
        {
            Storage = new StorageFake(this);
            Download = new FakeHandler(request =>
            {
                if (request.Headers.Range is not null)
                {
                    var partial = new HttpResponseMessage(HttpStatusCode.PartialContent) { Content = new ByteArrayContent(_video[..1]) };
                    partial.Content.Headers.ContentRange = new ContentRangeHeaderValue(0, 0, SourceLength);
                    return partial;
                }

                return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(_video) };
            });
            var options = Microsoft.Extensions.Options.Options.Create(new ArchiveOptions());
            var blobs = new BlobServiceClient(new Uri("https://acct.blob.core.windows.net"), new BlobClientOptions
            {
                Transport = new HttpClientTransport(new HttpClient(Storage)),
                Retry = { MaxRetries = 0 },
            });
            var dashScope = new Mock<IDashScopeClient>();
            dashScope.Setup(d => d.GetTaskAsync("task-1", It.IsAny<CancellationToken>()))
                .ReturnsAsync(new DashScopeTaskStatus("task-1", DashScopeTaskState.Succeeded, VideoUrl));
            var http = new Mock<IHttpClientFactory>();
            http.Setup(f => f.CreateClient(VideoArchiver.HttpClientName)).Returns(() => new HttpClient(Download, disposeHandler: false));
            Archiver = new VideoArchiver(blobs, new SingleClientFactory(dashScope.Object), new VideoSourcePolicy(options), http.Object, options, Time, Log);
        }

        public Func<HttpRequestMessage, HttpResponseMessage>? CopyAnswer { get; init; }

        public long SourceLength { get; init; } = _video.Length;

        public StorageFake Storage { get; }

        public FakeHandler Download { get; }

        public MovableTimeProvider Time { get; } = new();

        public CapturingLogger<VideoArchiver> Log { get; } = new();

        public VideoArchiver Archiver { get; }
    }

    private sealed record StoredBlob(byte[] Body, IReadOnlyDictionary<string, string> Metadata, long? Length = null, int BlockCount = 0)
    {
        public long ContentLength => Length ?? Body.Length;
    }

    private sealed record StorageRequest(HttpMethod Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers)
    {
        public bool IsCopy => Method == HttpMethod.Put && Query.Length == 0 && Headers.ContainsKey("x-ms-copy-source");
    }

    /// <summary>Just enough of the Blob service: properties, container create, Put Blob (from a body or a URL), Put Block (From URL), Put Block List.</summary>
    private sealed class StorageFake(World world) : HttpMessageHandler
    {
        private const string Prefix = "/videos/";

        public ConcurrentQueue<StorageRequest> Requests { get; } = new();

        public ConcurrentDictionary<string, StoredBlob> Committed { get; } = new();

        private ConcurrentDictionary<string, List<byte[]>> StagedBlocks { get; } = new();

        public static HttpResponseMessage Error(HttpStatusCode status, string code, string message = "Refused.")
        {
            var response = new HttpResponseMessage(status)
            {
                Content = new StringContent($"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{System.Security.SecurityElement.Escape(message)}</Message></Error>",
                    Encoding.UTF8, "application/xml"),
            };
            response.Headers.Add("x-ms-error-code", code);
            return response;
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var headers = request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>())
                .ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
            var uri = request.RequestUri!;
            var recorded = new StorageRequest(request.Method, uri.AbsolutePath, uri.Query.TrimStart('?'), headers);
            Requests.Enqueue(recorded);
            var name = Uri.UnescapeDataString(uri.AbsolutePath.StartsWith(Prefix, StringComparison.Ordinal) ? uri.AbsolutePath[Prefix.Length..] : string.Empty);
            var metadata = headers.Where(h => h.Key.StartsWith("x-ms-meta-", StringComparison.OrdinalIgnoreCase))
                .ToDictionary(h => h.Key["x-ms-meta-".Length..], h => h.Value);

            if (request.Method == HttpMethod.Head)
            {
                if (!Committed.TryGetValue(name, out var blob))
                {
                    return Error(HttpStatusCode.NotFound, "BlobNotFound");
                }

                var found = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([]) };
                found.Content.Headers.ContentLength = blob.ContentLength;
                foreach (var (key, value) in blob.Metadata)
                {
                    found.Headers.Add("x-ms-meta-" + key, value);
                }

                return found;
            }

            if (request.Method != HttpMethod.Put)
            {
                return Error(HttpStatusCode.BadRequest, "UnsupportedHttpVerb");
            }

            if (recorded.Query.Contains("restype=container", StringComparison.Ordinal))
            {
                return new HttpResponseMessage(HttpStatusCode.Created);
            }

            if (recorded.IsCopy)
            {
                if (world.CopyAnswer?.Invoke(request) is { } refusal)
                {
                    return refusal;
                }

                Committed[name] = new StoredBlob([], metadata, world.SourceLength);
                return new HttpResponseMessage(HttpStatusCode.Created);
            }

            if (recorded.Query.Contains("comp=blocklist", StringComparison.Ordinal))
            {
                // Blocks staged from a URL carry no bytes here: the blob gets the source's length.
                var staged = StagedBlocks.GetValueOrDefault(name) ?? [];
                var bytes = staged.SelectMany(b => b).ToArray();
                Committed[name] = new StoredBlob(bytes, metadata, bytes.Length > 0 ? null : world.SourceLength, staged.Count);
                return new HttpResponseMessage(HttpStatusCode.Created);
            }

            if (recorded.Query.Contains("comp=block&", StringComparison.Ordinal))
            {
                var block = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
                lock (StagedBlocks)
                {
                    StagedBlocks.GetOrAdd(name, _ => []).Add(block);
                }

                return new HttpResponseMessage(HttpStatusCode.Created);
            }

            // Put Blob with the bytes.
            var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
            Committed[name] = new StoredBlob(body, metadata);
            return new HttpResponseMessage(HttpStatusCode.Created);
        }
    }

    private sealed class MovableTimeProvider : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
