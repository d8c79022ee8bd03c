using System.Text.Json;
using Microsoft.DurableTask.Converters;
using WanFunctions.Api;
using WanFunctions.Workflow;
using static WanFunctions.Core.Tests.Workflow.WorkflowData;

namespace WanFunctions.Core.Tests.Workflow;

/// <summary>
/// <see cref="JobErrorSource"/> is an enum in code and the lower-case strings "provider"/"workflow" on the wire: in the
/// HTTP API's JSON, in the durable payloads either host writes (results, callback bodies), and when reading what an
/// earlier version stored.
/// </summary>
public class JobErrorJsonTests
{
    private static readonly JobResult Failed = new(JobOutcome.Failed, TaskId, null, null, new JobTimings(AcceptedAt, StartedAt, StartedAt, 1),
        new JobError("InvalidApiKey", "Invalid API-key provided.", JobErrorSource.Provider));

    public static TheoryData<string, string> Writers() => new()
    {
        { "HTTP API", JsonSerializer.Serialize(Failed, ApiJson.Options) },
        { "Durable Task SDK", JsonDataConverter.Default.Serialize(Failed)! },
        { "Functions worker (web defaults)", JsonSerializer.Serialize(Failed, new JsonSerializerOptions(JsonSerializerDefaults.Web)) },
    };

    [Theory]
    [MemberData(nameof(Writers))]
    public void The_source_is_written_in_lower_case(string writer, string json)
    {
        var error = JsonDocument.Parse(json).RootElement.GetProperty("error").GetRawText();

        Assert.True(error == """{"code":"InvalidApiKey","message":"Invalid API-key provided.","source":"provider"}""", $"{writer}: {error}");
    }

    [Theory]
    [InlineData("provider", JobErrorSource.Provider)]
    [InlineData("workflow", JobErrorSource.Workflow)]
    public void A_stored_error_reads_back_with_its_source(string stored, JobErrorSource expected)
    {
        var json = $$"""{"code":"DeadlineExceeded","message":"Too late.","source":"{{stored}}"}""";

        Assert.Equal(expected, JsonSerializer.Deserialize<JobError>(json, ApiJson.DurableReadOptions)!.Source);
        Assert.Equal(expected, ((JobError)JsonDataConverter.Default.Deserialize(json, typeof(JobError))!).Source);
    }

    [Fact]
    public void Every_source_has_a_lower_case_name_on_the_wire()
    {
        Assert.All(Enum.GetValues<JobErrorSource>(), source =>
            Assert.Equal($"\"{source.ToString().ToLowerInvariant()}\"", JsonSerializer.Serialize(source, ApiJson.Options)));
    }
}
