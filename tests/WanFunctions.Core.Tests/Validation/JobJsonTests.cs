using System.Text;
using System.Text.Json;
using WanFunctions.Jobs;

namespace WanFunctions.Core.Tests.Validation;

public class JobJsonTests
{
    private static Task<JobJsonParseResult> ParseAsync(string json) => JobJson.ParseAsync(new MemoryStream(Encoding.UTF8.GetBytes(json)));

    private static async Task<IReadOnlyDictionary<string, string[]>> ParseErrorsAsync(string json)
    {
        var parsed = await ParseAsync(json);
        Assert.False(parsed.Succeeded);
        Assert.Null(parsed.Request);
        Assert.Single(parsed.Errors);
        return parsed.Errors;
    }

    [Fact]
    public async Task Reads_a_camel_case_job()
    {
        const string json = """
            {
              "model": "wan2.6-r2v-flash",
              "prompt": "character1 waves",
              "negativePrompt": "blur",
              "references": [ { "url": "https://e.com/a.mp4" }, { "blob": "refs/b", "kind": "image" }, ],
              "size": "1280*720", "duration": 6, "audio": false, "shotType": "multi", "watermark": true,
              "seed": 7, "callbackUrl": "https://h.example.com", "idempotencyKey": "k1",
              "unknownField": { "ignored": true },
            }
            """;

        var parsed = await ParseAsync(json);
        Assert.True(parsed.Succeeded);
        Assert.Empty(parsed.Errors);
        var request = parsed.Request;
        Assert.Equal("wan2.6-r2v-flash", request!.Model);
        Assert.Equal("blur", request.NegativePrompt);
        Assert.Equal(2, request.References!.Count);
        Assert.Equal("image", request.References[1]!.Kind);
        Assert.Equal(6, request.Duration);
        Assert.False(request.Audio);
        Assert.Equal("multi", request.ShotType);
        Assert.Equal(7, request.Seed);
        Assert.Equal("k1", request.IdempotencyKey);
    }

    [Fact]
    public async Task Property_names_are_case_insensitive()
    {
        var parsed = await ParseAsync("""{"PROMPT":"p","ShotType":"multi","References":[{"URL":"https://e.com/a.mp4"}]}""");
        Assert.True(parsed.Succeeded);
        var request = parsed.Request;
        Assert.Equal("p", request!.Prompt);
        Assert.Equal("multi", request.ShotType);
        Assert.Equal("https://e.com/a.mp4", request.References![0]!.Url);
    }

    [Theory]
    [InlineData("""{"duration": 5.5}""", "duration")]
    [InlineData("""{"duration": "abc"}""", "duration")]
    [InlineData("""{"duration": "5"}""", "duration")]
    [InlineData("""{"Duration": 99999999999}""", "duration")]
    [InlineData("""{"seed": "42"}""", "seed")]
    [InlineData("""{"audio": "false"}""", "audio")]
    [InlineData("""{"prompt": 42}""", "prompt")]
    [InlineData("""{"NEGATIVEPROMPT": []}""", "negativePrompt")]
    [InlineData("""{"references": "https://e.com/a.mp4"}""", "references")]
    [InlineData("""{"references": ["https://e.com/a.mp4"]}""", "references[0]")]
    [InlineData("""{"references": [{"url":"https://e.com/a.mp4"}, {"url":"https://e.com/b.mp4"}, {"url": 3}]}""", "references[2].url")]
    [InlineData("""{"references": [{"Kind": true}]}""", "references[0].kind")]
    public async Task Wrong_types_are_reported_on_the_field(string json, string field)
    {
        var errors = await ParseErrorsAsync(json);
        var message = Assert.Single(errors[field]);
        Assert.StartsWith(field + " must be", message);
        Assert.DoesNotContain("System.", message);
    }

    [Fact]
    public async Task Integer_fields_say_what_is_expected()
    {
        Assert.Contains("whole number", (await ParseErrorsAsync("""{"duration": 5.5}"""))["duration"][0]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("{")]
    [InlineData("{\"prompt\": \"unterminated}")]
    [InlineData("{'prompt': 'single quotes'}")]
    [InlineData("{\"prompt\": \"a\" /* comment */}")]
    [InlineData("not json at all")]
    public async Task Invalid_json_is_a_body_error(string json)
    {
        Assert.Contains("not valid JSON", Assert.Single((await ParseErrorsAsync(json))["body"]));
    }

    [Theory]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("\"job\"")]
    [InlineData("42")]
    public async Task Non_object_body_is_a_body_error(string json)
    {
        Assert.True((await ParseErrorsAsync(json)).ContainsKey("body"));
    }

    [Fact]
    public async Task Syntax_error_message_does_not_echo_input()
    {
        var secret = new string('x', 500);
        var message = (await ParseErrorsAsync("{\"prompt\": \"" + secret))["body"][0];
        Assert.DoesNotContain("xxxxx", message);
    }

    [Fact]
    public void Long_unknown_path_is_cut()
    {
        var name = new string('p', 300);
        var field = JobJson.ToFieldPath($"$.{name}");
        Assert.True(field.Length <= 101, field);
    }

    [Theory]
    [InlineData("$", "body")]
    [InlineData(null, "body")]
    [InlineData("$.duration", "duration")]
    [InlineData("$.Duration", "duration")]
    [InlineData("$.references[2].URL", "references[2].url")]
    [InlineData("$.references[0]", "references[0]")]
    [InlineData("$.SomeOther.Thing", "someOther.thing")]
    [InlineData("$['odd key']", "['odd key']")]
    public void Json_paths_become_field_keys(string? path, string expected)
    {
        Assert.Equal(expected, JobJson.ToFieldPath(path));
    }

    [Fact]
    public async Task The_stream_reader_reads_a_job_and_reports_a_wrong_type()
    {
        var good = Encoding.UTF8.GetBytes("""{"prompt":"character1","references":[{"url":"https://e.com/a.mp4"}]}""");
        var parsed = await JobJson.ParseAsync(new MemoryStream(good));
        Assert.Equal("character1", parsed.Request!.Prompt);

        var wrongType = await JobJson.ParseAsync(new MemoryStream(Encoding.UTF8.GetBytes("""{"duration":1.5}""")));
        Assert.False(wrongType.Succeeded);
        Assert.True(wrongType.Errors.ContainsKey("duration"));
    }

    [Fact]
    public async Task ParseAsync_reports_the_same_errors()
    {
        var ok = await JobJson.ParseAsync(new MemoryStream(Encoding.UTF8.GetBytes("""{"prompt":"p"}""")));
        Assert.True(ok.Succeeded);

        var bad = await JobJson.ParseAsync(new MemoryStream(Encoding.UTF8.GetBytes("""{"references":[{"blob":false}]}""")));
        Assert.False(bad.Succeeded);
        Assert.Null(bad.Request);
        Assert.True(bad.Errors.ContainsKey("references[0].blob"));

        var broken = await JobJson.ParseAsync(new MemoryStream(Encoding.UTF8.GetBytes("{")));
        Assert.True(broken.Errors.ContainsKey("body"));
    }

    [Fact]
    public void Options_are_read_only_and_strict_about_numbers()
    {
        Assert.True(JobJson.Options.IsReadOnly);
        Assert.True(JobJson.Options.PropertyNameCaseInsensitive);
        Assert.True(JobJson.Options.AllowTrailingCommas);
        Assert.Equal(System.Text.Json.Serialization.JsonNumberHandling.Strict, JobJson.Options.NumberHandling);
        Assert.Same(JsonNamingPolicy.CamelCase, JobJson.Options.PropertyNamingPolicy);
    }

    [Fact]
    public async Task Parsed_then_validated_end_to_end()
    {
        var parsed = await ParseAsync("""{"prompt":"character1 and character2","references":[{"url":"https://e.com/a.mp4"}]}""");
        Assert.True(parsed.Succeeded);
        var request = parsed.Request;
        var result = new JobValidator(WanFunctions.DashScope.DashScopeRegion.International).Validate(request);
        Assert.Contains("character2", result.Errors["prompt"][0]);
    }
}
