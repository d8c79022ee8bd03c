using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace WanFunctions.LocalHost;

/// <summary>
/// Locks the local host's <c>/api</c> routes (all of them, matched or not) behind the keys of <see cref="ApiKeyOptions"/>
/// when they are required (outside Development). A key comes in the configured header (default <c>x-api-key</c>) or in
/// <c>x-functions-key</c>, the header the Functions app takes, so one client works with both hosts. Keys in the query
/// string (<c>?code=</c>, which Functions accepts) are refused: URLs end up in access logs and browser history.
/// Without a valid key: 401 problem details and <c>WWW-Authenticate: ApiKey header="x-api-key"</c>.
/// Keys are compared as SHA-256 digests in constant time, and never logged. <c>/healthz</c> and <c>/openapi/v1.json</c>
/// stay open (a probe has no key; the document holds no data and tells a caller how to send one).
/// </summary>
internal sealed partial class ApiKeyMiddleware
{
    public const string FunctionsKeyHeader = "x-functions-key";

    private readonly RequestDelegate next;
    private readonly ApiKeyOptions options;
    private readonly byte[][] keyDigests;
    private readonly ILogger<ApiKeyMiddleware> logger;

    public ApiKeyMiddleware(RequestDelegate next, ApiKeyOptions options, ILogger<ApiKeyMiddleware> logger)
    {
        this.next = next;
        this.options = options;
        this.logger = logger;
        keyDigests = [.. options.ApiKeys.Where(key => !string.IsNullOrWhiteSpace(key)).Select(key => Digest(key.Trim()))];
    }

    public Task InvokeAsync(HttpContext context)
    {
        if (!options.Required || !context.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase))
        {
            return next(context);
        }

        var presented = Presented(context.Request.Headers);
        if (presented.Count == 1 && IsKnown(presented[0]!))
        {
            return next(context);
        }

        var (title, detail) = presented.Count switch
        {
            0 when context.Request.Query.ContainsKey("code") => ("An API key is required.",
                $"Keys are not accepted in the query string (?code=); send the key in the {options.ApiKeyHeader} (or {FunctionsKeyHeader}) header."),
            0 => ("An API key is required.",
                $"Send one of the keys configured in {ApiKeyOptions.SectionName}:ApiKeys in the {options.ApiKeyHeader} (or {FunctionsKeyHeader}) header."),
            1 => ("The API key is not valid.",
                $"The key sent is not one of the keys configured in {ApiKeyOptions.SectionName}:ApiKeys."),
            _ => ("The API key is not valid.", $"Send one key in one header ({options.ApiKeyHeader} or {FunctionsKeyHeader}); got {presented.Count}."),
        };
        LogRefused(logger, context.Request.Method, context.Request.Path, title);
        context.Response.Headers.WWWAuthenticate = $"ApiKey header=\"{options.ApiKeyHeader}\"";
        return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: title, detail: detail).ExecuteAsync(context);
    }

    private StringValues Presented(IHeaderDictionary headers) =>
        StringValues.Concat(headers[options.ApiKeyHeader], options.ApiKeyHeader.Equals(FunctionsKeyHeader, StringComparison.OrdinalIgnoreCase)
            ? StringValues.Empty
            : headers[FunctionsKeyHeader]);

    /// <summary>Compares against every key without stopping early, on fixed-length digests: the time tells nothing about the keys.</summary>
    private bool IsKnown(string presented)
    {
        var digest = Digest(presented.Trim());
        var known = false;
        foreach (var key in keyDigests)
        {
            known |= CryptographicOperations.FixedTimeEquals(digest, key);
        }

        return known;
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused {Method} {Path}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, PathString path, string reason);
}
