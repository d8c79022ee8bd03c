using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace DashScope.Simulator.Tests;

public class ValidationTests
{
    private static JsonObject Input(JsonObject b) => b["input"]!.AsObject();
    private static JsonObject Params(JsonObject b) => b["parameters"]!.AsObject();
    private static JsonArray Urls(params string[] urls) => new(urls.Select(u => (JsonNode)u!).ToArray());

    /// <summary>Applies one named defect to an otherwise valid body.</summary>
    private static void Break(string defect, JsonObject b)
    {
        switch (defect)
        {
            case "no-model": b.Remove("model"); break;
            case "unknown-model": b["model"] = "wan2.5-i2v"; break;
            case "no-input": b.Remove("input"); break;
            case "no-prompt": Input(b).Remove("prompt"); break;
            case "blank-prompt": Input(b)["prompt"] = "   "; break;
            case "long-prompt": Input(b)["prompt"] = new string('x', 1501); break;
            case "long-negative": Input(b)["negative_prompt"] = new string('x', 501); break;
            case "no-refs": Input(b).Remove("reference_urls"); break;
            case "empty-refs": Input(b)["reference_urls"] = Urls(); break;
            case "six-refs": Input(b)["reference_urls"] = Urls(Enumerable.Range(1, 6).Select(i => $"https://e.com/{i}.png").ToArray()); break;
            case "ftp-ref": Input(b)["reference_urls"] = Urls("ftp://e.com/a.mp4"); break;
            case "relative-ref": Input(b)["reference_urls"] = Urls("/a.mp4"); break;
            case "four-videos": Input(b)["reference_urls"] = Urls("https://e.com/1.mp4", "https://e.com/2.MOV", "https://e.com/3.mp4?sig=x", "https://e.com/4.mov"); break;
            case "bad-size": Params(b)["size"] = "1280x720"; break;
            case "duration-1": Params(b)["duration"] = 1; break;
            case "duration-11": Params(b)["duration"] = 11; break;
            case "silent-standard": b["model"] = "wan2.6-r2v"; Params(b)["audio"] = false; break;
            case "bad-shot": Params(b)["shot_type"] = "triple"; break;
            case "negative-seed": Params(b)["seed"] = -1; break;
            case "huge-seed": Params(b)["seed"] = 2147483648L; break;
            case "duration-string": Params(b)["duration"] = "five"; break;
            case "unknown-marker": Input(b)["prompt"] = "hello [sim:explode]"; break;
            default: throw new ArgumentException(defect);
        }
    }

    [Theory]
    [InlineData("no-model", "model is required")]
    [InlineData("unknown-model", "wan2.5-i2v")]
    [InlineData("no-input", "input is required")]
    [InlineData("no-prompt", "input.prompt is required")]
    [InlineData("blank-prompt", "input.prompt is required")]
    [InlineData("long-prompt", "at most 1500")]
    [InlineData("long-negative", "at most 500")]
    [InlineData("no-refs", "reference_urls")]
    [InlineData("empty-refs", "reference_urls")]
    [InlineData("six-refs", "at most 5 URLs")]
    [InlineData("ftp-ref", "reference_urls[0]")]
    [InlineData("relative-ref", "reference_urls[0]")]
    [InlineData("four-videos", "at most 3 videos")]
    [InlineData("bad-size", "parameters.size")]
    [InlineData("duration-1", "duration")]
    [InlineData("duration-11", "duration")]
    [InlineData("silent-standard", "only supported by wan2.6-r2v-flash")]
    [InlineData("bad-shot", "shot_type")]
    [InlineData("negative-seed", "seed")]
    [InlineData("huge-seed", "seed")]
    [InlineData("duration-string", "not valid JSON")]
    [InlineData("unknown-marker", "[sim:explode]")]
    public async Task Invalid_submit_is_rejected_with_InvalidParameter(string defect, string messageFragment)
    {
        await using var sim = await Sim.StartAsync();
        var body = Sim.Body();
        Break(defect, body);

        using var response = await sim.SubmitAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var json = await Sim.ReadJsonAsync(response);
        Assert.Equal("InvalidParameter", (string?)json["code"]);
        Assert.Contains(messageFragment, (string?)json["message"]);
        Assert.NotNull((string?)json["request_id"]);
        Assert.Empty(sim.Host.Services.GetRequiredService<TaskStore>().All);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("")]
    [InlineData("[1,2]")]
    [InlineData("null")]
    public async Task Malformed_body_is_InvalidParameter(string raw)
    {
        await using var sim = await Sim.StartAsync();
        using var response = await sim.SubmitRawAsync(raw);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("InvalidParameter", (string?)(await Sim.ReadJsonAsync(response))["code"]);
    }

    [Fact]
    public async Task Limits_are_inclusive_and_unknown_fields_are_tolerated()
    {
        await using var sim = await Sim.StartAsync(o => o.MaxConcurrentTasks = 50);
        var body = Sim.Body(new string('é', 1500), "wan2.6-r2v",
            "https://e.com/1.mp4", "https://e.com/2.mov", "https://e.com/3.MP4", "https://e.com/4.png", "http://e.com/5.jpg?x=a.mp4");
        Input(body)["negative_prompt"] = new string('n', 500);
        Input(body)["future_field"] = new JsonObject { ["x"] = 1 };
        body["extra"] = true;
        Params(body)["duration"] = 10;
        Params(body)["seed"] = 2147483647;
        Params(body)["shot_type"] = "multi";
        Params(body)["watermark"] = true;
        Params(body)["size"] = "1248*1632";
        await sim.SubmitOkAsync(body);

        var minimal = Sim.Body();
        minimal.Remove("parameters");
        await sim.SubmitOkAsync(minimal);

        var shortest = Sim.Body();
        Params(shortest)["duration"] = 2;
        await sim.SubmitOkAsync(shortest);

        var silentFlash = Sim.Body();
        Params(silentFlash)["audio"] = false;
        await sim.SubmitOkAsync(silentFlash);
    }

    [Fact]
    public async Task Emoji_prompt_is_counted_in_characters_not_utf16_units()
    {
        await using var sim = await Sim.StartAsync();
        // 1000 emoji are 2000 UTF-16 units but 1000 characters.
        await sim.SubmitOkAsync(Sim.Body(string.Concat(Enumerable.Repeat("🎬", 1000))));
    }

    [Theory]
    [InlineData("wan2.6-r2v-flash", 5, "not supported in region Global")]
    [InlineData("wan2.6-r2v", 7, "5 or 10")]
    public async Task Global_region_offers_only_wan26_r2v_with_5_or_10_seconds(string model, int duration, string fragment)
    {
        await using var sim = await Sim.StartAsync(o => o.Region = SimulatorRegion.Global);
        var body = Sim.Body(model: model);
        Params(body)["duration"] = duration;
        using var response = await sim.SubmitAsync(body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(fragment, (string?)(await Sim.ReadJsonAsync(response))["message"]);

        var ok = Sim.Body(model: "wan2.6-r2v");
        Params(ok)["duration"] = 10;
        await sim.SubmitOkAsync(ok);
    }
}
