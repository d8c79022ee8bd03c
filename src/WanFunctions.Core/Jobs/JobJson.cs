using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace WanFunctions.Jobs;

/// <summary>The outcome of <see cref="JobJson.ParseAsync"/>: a request, or field-keyed errors.</summary>
public sealed record JobJsonParseResult(VideoJobRequest? Request, IReadOnlyDictionary<string, string[]> Errors)
{
    public bool Succeeded => Request is not null && Errors.Count == 0;
}

/// <summary>
/// Reads a job (HTTP body or blob manifest) and turns System.Text.Json failures into the same
/// field-keyed errors as <see cref="JobValidator"/>, so the HTTP layer can answer one 400 problem details.
/// Messages never echo the input.
/// </summary>
public static class JobJson
{
    private const int MaxPathLength = 100;

    /// <summary>camelCase, case-insensitive names, trailing commas allowed; numbers must be JSON numbers
    /// (a quoted "5" is an error rather than a silent conversion).</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowTrailingCommas = true };

    private static readonly IReadOnlyDictionary<string, string[]> NoErrors = new Dictionary<string, string[]>();

    // Property names of VideoJobRequest and JobReference, to give error paths their canonical spelling
    // even when the caller wrote "NEGATIVEPROMPT" (names are read case-insensitively).
    private static readonly string[] KnownNames =
    [
        "model", "prompt", "negativePrompt", "references", "size", "duration", "audio", "shotType",
        "watermark", "seed", "callbackUrl", "idempotencyKey", "priority", "url", "blob", "kind",
    ];

    /// <summary>Reads a job from a stream without blocking (ASP.NET Core forbids synchronous reads of a request body).</summary>
    public static async Task<JobJsonParseResult> ParseAsync(Stream json, CancellationToken cancellationToken = default)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(json, DocumentOptions, cancellationToken);
        }
        catch (JsonException ex)
        {
            return Fail(SyntaxError(ex));
        }

        using (document)
        {
            return Read(document);
        }
    }

    /// <summary>Converts a System.Text.Json path ("$.references[2].Url") to a field key ("references[2].url").</summary>
    public static string ToFieldPath(string? jsonPath)
    {
        if (string.IsNullOrEmpty(jsonPath) || jsonPath == "$")
        {
            return "body";
        }

        var path = new StringBuilder();
        var i = jsonPath.StartsWith('$') ? 1 : 0;
        while (i < jsonPath.Length)
        {
            if (jsonPath[i] == '.')
            {
                var end = IndexOfAny(jsonPath, i + 1, '.', '[');
                AppendName(path, jsonPath[(i + 1)..end]);
                i = end;
            }
            else if (jsonPath.AsSpan(i).StartsWith("['"))
            {
                // A name that needs quoting: keep the quoted form, it cannot be one of ours.
                var close = jsonPath.IndexOf("']", i, StringComparison.Ordinal);
                var end = close < 0 ? jsonPath.Length : close + 2;
                path.Append(jsonPath, i, end - i);
                i = end;
            }
            else
            {
                var end = jsonPath.IndexOf(']', i);
                end = end < 0 ? jsonPath.Length : end + 1;
                path.Append(jsonPath, i, end - i); // an array index "[2]"
                i = end;
            }
        }

        var key = path.ToString();
        return key.Length <= MaxPathLength ? key : key[..MaxPathLength] + "…";
    }

    private static JobJsonParseResult Read(JsonDocument document)
    {
        switch (document.RootElement.ValueKind)
        {
            case JsonValueKind.Object:
                break;
            case JsonValueKind.Null:
                return Fail(Error("body", "A JSON object describing the job is required; got null."));
            default:
                return Fail(Error("body", $"The body must be a JSON object; got a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}."));
        }

        try
        {
            return new JobJsonParseResult(document.RootElement.Deserialize<VideoJobRequest>(Options), NoErrors);
        }
        catch (JsonException ex)
        {
            // System.Text.Json stops at the first value of the wrong type, so this reports only that one.
            var field = ToFieldPath(ex.Path);
            return Fail(Error(field, $"{field} must be {ExpectedValue(field)}."));
        }
    }

    /// <summary>What a field holds, in words, from its last path segment.</summary>
    private static string ExpectedValue(string field)
    {
        var last = field[(field.LastIndexOf('.') + 1)..];
        return last switch
        {
            "references" => "an array of references",
            "duration" => "a whole number of seconds (a JSON number, not a string or decimal)",
            "seed" => "a whole number from 0 to 2147483647 (a JSON number, not a string)",
            "audio" or "watermark" => "true or false",
            _ when last.StartsWith("references[", StringComparison.Ordinal) && last.EndsWith(']')
                => "an object such as {\"url\": \"https://example.com/actor.mp4\"} or {\"blob\": \"container/actor.mp4\"}",
            _ when Array.IndexOf(KnownNames, last) >= 0 => "a string",
            _ => "a value of the expected type",
        };
    }

    private static void AppendName(StringBuilder path, string name)
    {
        if (path.Length > 0)
        {
            path.Append('.');
        }

        var known = KnownNames.FirstOrDefault(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));
        path.Append(known ?? JsonNamingPolicy.CamelCase.ConvertName(name));
    }

    private static int IndexOfAny(string text, int start, char a, char b)
    {
        var index = text.IndexOfAny([a, b], start);
        return index < 0 ? text.Length : index;
    }

    private static Dictionary<string, string[]> SyntaxError(JsonException ex) =>
        Error("body", ex.LineNumber is { } line && ex.BytePositionInLine is { } position
            ? $"The body is not valid JSON (line {line + 1}, position {position + 1})."
            : "The body is not valid JSON.");

    private static Dictionary<string, string[]> Error(string field, string message) =>
        new Dictionary<string, string[]> { [field] = [message] };

    private static JobJsonParseResult Fail(IReadOnlyDictionary<string, string[]> errors) => new(null, errors);

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            PropertyNameCaseInsensitive = true,
            AllowTrailingCommas = true,
            NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        };
        options.MakeReadOnly();
        return options;
    }
}
