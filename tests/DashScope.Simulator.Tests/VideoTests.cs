using System.Buffers.Binary;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;

namespace DashScope.Simulator.Tests;

public class VideoTests
{
    internal static async Task<string> SucceededVideoUrlAsync(Sim sim, string? prompt = null)
    {
        var id = await sim.SubmitOkAsync(prompt ?? "character1 dances");
        sim.Advance(30);
        var output = (await sim.QueryAsync(id))["output"]!;
        Assert.Equal("SUCCEEDED", (string?)output["task_status"]);
        return (string)output["video_url"]!;
    }

    /// <summary>Walks the top-level boxes; returns their types and checks the sizes add up to the file length.</summary>
    internal static List<string> TopLevelBoxes(byte[] file)
    {
        var types = new List<string>();
        long offset = 0;
        while (offset < file.Length)
        {
            long size = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan((int)offset));
            var type = Encoding.ASCII.GetString(file, (int)offset + 4, 4);
            if (size == 1)
            {
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(file.AsSpan((int)offset + 8));
            }

            Assert.True(size >= 8, $"box {type} at {offset} has size {size}");
            types.Add(type);
            offset += size;
        }
        Assert.Equal(file.Length, offset);
        return types;
    }

    [Fact]
    public async Task Result_url_serves_a_valid_mp4_without_authorization()
    {
        await using var sim = await Sim.StartAsync();
        var url = await SucceededVideoUrlAsync(sim);

        using var anonymous = new HttpClient();
        using var response = await anonymous.GetAsync(url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("video/mp4", response.Content.Headers.ContentType?.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(response.Content.Headers.ContentLength, bytes.Length);
        Assert.Equal("ftyp", Encoding.ASCII.GetString(bytes, 4, 4));
        var boxes = TopLevelBoxes(bytes);
        Assert.Contains("moov", boxes);
        Assert.Contains("mdat", boxes);
        Assert.True(boxes.IndexOf("moov") < boxes.IndexOf("mdat"), "faststart: moov precedes mdat");
        Assert.InRange(bytes.Length, 1000, 20_000);

        // Deterministic: the same task gives the same bytes every time.
        Assert.Equal(bytes, await anonymous.GetByteArrayAsync(url));
    }

    [Theory]
    [InlineData("1920*1080", 3, false)]
    [InlineData("720*1280", 2, true)]
    public async Task Result_is_a_video_of_the_submitted_size_duration_and_audio(string size, int duration, bool audio)
    {
        await using var sim = await Sim.StartAsync();
        var body = Sim.Body("character1 dances");
        body["parameters"] = new System.Text.Json.Nodes.JsonObject { ["size"] = size, ["duration"] = duration, ["audio"] = audio };
        var id = await sim.SubmitOkAsync(body);
        sim.Advance(30);
        var url = (string)(await sim.QueryAsync(id))["output"]!["video_url"]!;

        var mp4 = Mp4Info.Read(await sim.Http.GetByteArrayAsync(url));

        var (width, height) = TestPatternVideo.ParseSize(size);
        Assert.Equal((uint)width, mp4.Track("vide")!.Width);
        Assert.Equal((uint)height, mp4.Track("vide")!.Height);
        Assert.Equal(duration, mp4.Seconds, precision: 3);
        Assert.Equal(audio, mp4.Track("soun") is not null);
    }

    [Fact]
    public async Task Size_option_pads_to_exactly_that_many_bytes_with_a_trailing_free_box()
    {
        const long size = 3_000_000;
        await using var sim = await Sim.StartAsync(o => o.VideoSizeBytes = size);
        var url = await SucceededVideoUrlAsync(sim);

        using var response = await sim.Http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(size, response.Content.Headers.ContentLength);
        var bytes = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(size, bytes.Length);
        Assert.Equal("ftyp", Encoding.ASCII.GetString(bytes, 4, 4));
        var boxes = TopLevelBoxes(bytes);
        Assert.Equal("free", boxes[^1]);
        var baseLength = VideoContent.BaseVideo.Length;
        Assert.Equal(VideoContent.BaseVideo.ToArray(), bytes[..baseLength]);
        Assert.Equal(size - baseLength, BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(baseLength)));
    }

    [Fact]
    public async Task Padding_beyond_4_GiB_uses_a_64_bit_largesize_header()
    {
        var options = new SimulatorOptions { VideoSizeBytes = 5L * 1024 * 1024 * 1024 };
        var content = new VideoContent(options);
        var baseLength = VideoContent.BaseVideo.Length;
        using var prefix = new MemoryStream();

        // Only the head is written: the whole 5 GiB is never materialised.
        await content.WriteAsync(prefix, "task-1", baseLength + 16, CancellationToken.None);

        var header = prefix.ToArray().AsSpan(baseLength);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(header));
        Assert.Equal("free", Encoding.ASCII.GetString(header.Slice(4, 4)));
        Assert.Equal((ulong)(options.VideoSizeBytes - baseLength), BinaryPrimitives.ReadUInt64BigEndian(header[8..]));
    }

    [Fact]
    public async Task Expired_url_is_403_with_an_oss_style_error()
    {
        await using var sim = await Sim.StartAsync(o => o.VideoUrlTtl = TimeSpan.FromMinutes(10));
        var url = await SucceededVideoUrlAsync(sim);
        sim.Advance(599);
        using (var fresh = await sim.Http.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        }

        sim.Advance(2);
        using var response = await sim.Http.GetAsync(url);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/xml", response.Content.Headers.ContentType?.MediaType);
        var xml = await response.Content.ReadAsStringAsync();
        Assert.Contains("<Code>AccessDenied</Code>", xml);
        Assert.Contains("Request has expired.", xml);
    }

    [Theory]
    [InlineData("signature")]
    [InlineData("expires")]
    [InlineData("missing")]
    [InlineData("other-task")]
    public async Task Tampered_url_is_403(string tamper)
    {
        await using var sim = await Sim.StartAsync();
        var url = await SucceededVideoUrlAsync(sim);
        var uri = new Uri(url);
        var query = System.Web.HttpUtility.ParseQueryString(uri.Query);
        var path = uri.GetLeftPart(UriPartial.Path);
        var tampered = tamper switch
        {
            "signature" => $"{path}?Expires={query["Expires"]}&Signature={Uri.EscapeDataString("AAAA" + query["Signature"]![4..])}",
            "expires" => $"{path}?Expires={long.Parse(query["Expires"]!) + 3600}&Signature={Uri.EscapeDataString(query["Signature"]!)}",
            "missing" => path,
            _ => $"{sim.Host.BaseUrl}results/{Guid.NewGuid()}.mp4{uri.Query}",
        };

        using var response = await sim.Http.GetAsync(tampered);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains(tamper == "missing" ? "<Code>AccessDenied</Code>" : "<Code>SignatureDoesNotMatch</Code>", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Validly_signed_url_of_an_unfinished_task_is_404()
    {
        await using var sim = await Sim.StartAsync();
        var id = await sim.SubmitOkAsync();
        var url = sim.Host.Services.GetRequiredService<UrlSigner>().BuildUrl(sim.Host.BaseUrl.ToString(), id, DateTimeOffset.UtcNow.AddHours(1));
        using var response = await sim.Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("<Code>NoSuchKey</Code>", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Public_base_url_option_is_used_for_video_urls()
    {
        await using var sim = await Sim.StartAsync(o => o.PublicBaseUrl = "https://results.example.test/");
        var url = await SucceededVideoUrlAsync(sim);
        Assert.StartsWith("https://results.example.test/results/", url);
    }
}
