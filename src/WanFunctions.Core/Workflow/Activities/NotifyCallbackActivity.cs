using System.Net.Http.Json;
using Microsoft.Extensions.Logging;

namespace WanFunctions.Workflow.Activities;

/// <summary>
/// POSTs the job's result to the caller's callback URL. Receivers should treat it as at-least-once
/// (the body carries the job id to de-duplicate on).
/// </summary>
public sealed class NotifyCallbackActivity(IHttpClientFactory httpClientFactory, ILogger<NotifyCallbackActivity> log)
    : IWorkflowActivity<CallbackInput, bool>
{
    public const string HttpClientName = "callbacks";

    public async Task<bool> RunAsync(CallbackInput input, CancellationToken cancellationToken)
    {
        HttpClient http = httpClientFactory.CreateClient(HttpClientName);
        using HttpResponseMessage response = await http.PostAsJsonAsync(input.CallbackUrl,
            new { jobId = input.JobId, result = input.Result }, cancellationToken);
        log.LogInformation("Job {JobId}: callback answered {Status}", input.JobId, (int)response.StatusCode);
        response.EnsureSuccessStatusCode();
        return true;
    }
}
