using System.Text.Json;
using System.Text.Json.Serialization;

namespace WanFunctions.Api;

/// <summary>JSON for HTTP answers: camelCase, enums as strings, nulls left out.</summary>
public static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>For reading what the durable backend stored (either host's serializer wrote it).</summary>
    public static JsonSerializerOptions DurableReadOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };
}
