using System.Globalization;
using System.Security;
using System.Text;

namespace DashScope.Simulator;

/// <summary>Error bodies in the provider's shapes: JSON for the API, OSS-style XML for result downloads.</summary>
internal static class ProviderResults
{
    public const string TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff";

    public static string NewRequestId() => Guid.NewGuid().ToString();

    public static IResult Error(HttpContext ctx, int status, string code, string message, int? retryAfterSeconds = null)
    {
        if (retryAfterSeconds is { } s)
        {
            ctx.Response.Headers.RetryAfter = s.ToString(CultureInfo.InvariantCulture);
        }

        return Results.Json(new ErrorResponse(code, message, NewRequestId()), Json.Options, statusCode: status);
    }

    public static IResult InvalidParameter(HttpContext ctx, string message) => Error(ctx, 400, "InvalidParameter", message);

    public static IResult Ok<T>(T body) => Results.Json(body, Json.Options);

    public static IResult OssError(HttpContext ctx, int status, string code, string message)
    {
        var requestId = Guid.NewGuid().ToString("N").ToUpperInvariant()[..24];
        ctx.Response.Headers["x-oss-request-id"] = requestId;
        var xml = new StringBuilder()
            .Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\n")
            .Append("  <Code>").Append(SecurityElement.Escape(code)).Append("</Code>\n")
            .Append("  <Message>").Append(SecurityElement.Escape(message)).Append("</Message>\n")
            .Append("  <RequestId>").Append(requestId).Append("</RequestId>\n")
            .Append("  <HostId>").Append(SecurityElement.Escape(ctx.Request.Host.Value ?? "")).Append("</HostId>\n")
            .Append("</Error>\n")
            .ToString();
        return Results.Content(xml, "application/xml", Encoding.UTF8, status);
    }

    /// <summary>The provider reports wall-clock times in its own zone, without an offset.</summary>
    public static string FormatTime(DateTimeOffset time, SimulatorOptions options) =>
        time.ToOffset(options.TimestampUtcOffset).ToString(TimestampFormat, CultureInfo.InvariantCulture);
}
