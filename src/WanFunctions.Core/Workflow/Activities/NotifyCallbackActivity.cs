using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WanFunctions.Api;
using WanFunctions.Telemetry;

namespace WanFunctions.Workflow.Activities;

/// <summary>
/// POSTs the job's result to the caller's callback URL. Receivers should treat it as at-least-once
/// (the body carries the job id to de-duplicate on) and, when a signing key is configured, check
/// <see cref="SignatureHeader"/> against an HMAC-SHA256 of the raw body.
/// </summary>
public sealed partial class NotifyCallbackActivity(
    IHttpClientFactory httpClientFactory,
    IOptions<CallbackOptions> options,
    ILogger<NotifyCallbackActivity> log) : IWorkflowActivity<CallbackInput, bool>
{
    public const string HttpClientName = "callbacks";
    public const string SignatureHeader = "X-WanFunctions-Signature";

    /// <summary>Traced as <c>wan.notify</c> (the job id; never the callback URL, which may carry a token).</summary>
    public Task<bool> RunAsync(CallbackInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        return WorkflowTelemetry.TraceAsync("notify", input.JobId, _ => NotifyAsync(input, cancellationToken));
    }

    private async Task<bool> NotifyAsync(CallbackInput input, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new { jobId = input.JobId, result = input.Result }, ApiJson.Options);
        using var request = new HttpRequestMessage(HttpMethod.Post, input.CallbackUrl)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        if (Signature(body) is { } signature)
        {
            request.Headers.Add(SignatureHeader, signature);
        }

        var http = httpClientFactory.CreateClient(HttpClientName);
        using var response = await http.SendAsync(request, cancellationToken);
        LogCallbackAnswered(log, input.JobId, (int)response.StatusCode);
        response.EnsureSuccessStatusCode();
        return true;
    }

    /// <summary>"sha256=&lt;lower-case hex&gt;" of the body, or null when no signing key is configured.</summary>
    public string? Signature(byte[] body) => options.Value.SigningKey is { } key
        ? "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), body))
        : null;
}

// Log lines: ids, states and codes only, never a URL or a key.
public sealed partial class NotifyCallbackActivity
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: callback answered {Status}")]
    private static partial void LogCallbackAnswered(ILogger logger, string jobId, int status);
}
