using System.Text;
using System.Text.Json.Serialization;

namespace DashScope.Simulator;

/// <summary>One request as the simulator received it; the Authorization value is redacted.</summary>
public sealed class RecordedRequest
{
    [JsonPropertyName("timestamp")] public required DateTimeOffset Timestamp { get; init; }
    [JsonPropertyName("method")] public required string Method { get; init; }
    [JsonPropertyName("path")] public required string Path { get; init; }
    [JsonPropertyName("query_string")] public required string QueryString { get; init; }
    [JsonPropertyName("headers")] public required IReadOnlyDictionary<string, string> Headers { get; init; }
    [JsonPropertyName("body")] public required string Body { get; init; }

    /// <summary>The label of the account whose key made the call (never the key), or null for a missing or unknown key.</summary>
    [JsonPropertyName("account")] public string? Account { get; init; }

    /// <summary>Filled in just before the response starts, so it is set by the time a client sees the answer.</summary>
    [JsonPropertyName("status_code")] public int? StatusCode { get; internal set; }

    public string? Header(string name) =>
        Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
}

/// <summary>Thread-safe, bounded log of received requests, for tests to assert on.</summary>
public sealed class RequestRecorder(SimulatorOptions options)
{
    public const string Redacted = "***";
    private const int MaxBodyChars = 1024 * 1024;
    private readonly Lock _gate = new();
    private readonly LinkedList<RecordedRequest> _requests = new();

    public IReadOnlyList<RecordedRequest> Snapshot()
    {
        lock (_gate)
        {
            return _requests.ToArray();
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _requests.Clear();
        }
    }

    private void Add(RecordedRequest request)
    {
        lock (_gate)
        {
            _requests.AddLast(request);
            while (_requests.Count > options.MaxRecordedRequests)
            {
                _requests.RemoveFirst();
            }
        }
    }

    /// <summary>Middleware: records before the endpoint runs (so the entry exists before the client gets an answer).</summary>
    public async Task RecordAsync(HttpContext context, RequestDelegate next)
    {
        if (context.Request.Path.StartsWithSegments("/_sim"))
        {
            await next(context);
            return;
        }

        var body = "";
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            context.Request.EnableBuffering();
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
            body = await reader.ReadToEndAsync(context.RequestAborted);
            if (body.Length > MaxBodyChars)
            {
                body = body[..MaxBodyChars];
            }

            context.Request.Body.Position = 0;
        }

        var headers = context.Request.Headers.ToDictionary(
            h => h.Key,
            h => string.Equals(h.Key, "Authorization", StringComparison.OrdinalIgnoreCase) ? RedactAuthorization(h.Value.ToString()) : h.Value.ToString(),
            StringComparer.OrdinalIgnoreCase);

        var record = new RecordedRequest
        {
            Timestamp = DateTimeOffset.UtcNow,
            Method = context.Request.Method,
            Path = context.Request.Path.Value ?? "",
            QueryString = context.Request.QueryString.Value ?? "",
            Headers = headers,
            Body = body,
            Account = options.AccountOf(BearerKey(context.Request.Headers.Authorization.ToString())),
        };
        context.Response.OnStarting(() =>
        {
            record.StatusCode = context.Response.StatusCode;
            return Task.CompletedTask;
        });
        Add(record);
        await next(context);
    }

    /// <summary>The key of an <c>Authorization: Bearer …</c> value, or null.</summary>
    internal static string? BearerKey(string header)
    {
        const string scheme = "Bearer ";
        return header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : null;
    }

    // Keep the scheme so tests can check "Bearer" was used, never the key itself.
    private static string RedactAuthorization(string value)
    {
        var space = value.IndexOf(' ');
        return space > 0 ? $"{value[..space]} {Redacted}" : Redacted;
    }
}
