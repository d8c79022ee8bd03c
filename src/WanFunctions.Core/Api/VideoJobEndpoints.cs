using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using WanFunctions.Jobs;
using WanFunctions.Workflow;

namespace WanFunctions.Api;

/// <summary>
/// The HTTP API, written once over ASP.NET Core's <see cref="HttpRequest"/> and <see cref="IResult"/>:
/// the Functions app's HTTP triggers and the local host's minimal API both call these methods.
/// </summary>
public sealed class VideoJobEndpoints(JobStarter starter)
{
    public const string RoutePrefix = "api/videos";

    /// <summary>The IETF draft's request header; the body field <c>idempotencyKey</c> is the same thing.</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>
    /// POST /api/videos: validate, start, answer 202 with where to look. 415 unless the body is JSON
    /// (<c>application/json</c> or <c>application/*+json</c>); 400 with every field error; with an idempotency key
    /// (header or body field), 202 with <c>Idempotent-Replayed: true</c> for the same job again, 422 for a
    /// different job under the same key, 409 while a concurrent request with the key is still starting the job.
    /// </summary>
    public async Task<IResult> StartAsync(HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken)
    {
        if (!IsJsonBody(request))
        {
            return UnsupportedMediaType(request.ContentType);
        }

        string? headerKey = null;
        if (request.Headers.TryGetValue(IdempotencyKeyHeader, out var headerValues))
        {
            headerKey = HeaderKey(headerValues, out var headerError);
            if (headerError is not null)
            {
                return InvalidJob(new Dictionary<string, string[]> { [IdempotencyKeyHeader] = [headerError] });
            }
        }

        var parsed = await JobJson.ParseAsync(request.Body, cancellationToken);
        if (!parsed.Succeeded)
        {
            return InvalidJob(parsed.Errors);
        }

        var job = parsed.Request!;
        if (headerKey is not null)
        {
            if (job.IdempotencyKey is not null && job.IdempotencyKey != headerKey)
            {
                return InvalidJob(new Dictionary<string, string[]>
                {
                    [IdempotencyKeyHeader] = [$"The {IdempotencyKeyHeader} header and the body's idempotencyKey differ; send the key once, or the same key in both."],
                    ["idempotencyKey"] = [$"idempotencyKey differs from the {IdempotencyKeyHeader} header."],
                });
            }

            job = job with { IdempotencyKey = headerKey };
        }

        var outcome = await starter.StartAsync(job, client, cancellationToken);
        switch (outcome.Conflict)
        {
            case IdempotencyConflict.DifferentJob:
                return KeyConflict(StatusCodes.Status422UnprocessableEntity, "The idempotency key was already used for a different job.", outcome, job.IdempotencyKey!);
            case IdempotencyConflict.StillStarting:
                request.HttpContext.Response.Headers.RetryAfter = "1";
                return KeyConflict(StatusCodes.Status409Conflict, "A request with this idempotency key is still being processed.", outcome, job.IdempotencyKey!);
        }

        if (!outcome.Started)
        {
            return InvalidJob(outcome.Errors);
        }

        var statusUri = JobUri(request, outcome.JobId!);
        if (outcome.AlreadyExisted)
        {
            request.HttpContext.Response.Headers["Idempotent-Replayed"] = "true";
        }

        return new AcceptedWithLocation(statusUri, Results.Json(
            new JobAccepted(outcome.JobId!, statusUri, statusUri + "/cancel", outcome.BilledSecondsUpperBound, outcome.Warnings),
            ApiJson.Options, statusCode: StatusCodes.Status202Accepted));
    }

    /// <summary>
    /// GET /api/videos/{id}: runtime status, progress while running, result or error when done. Whatever the backend
    /// stored (a failure text instead of a result, JSON of another shape), the answer is 200: an unreadable result
    /// makes the job <c>Failed</c> with <c>WorkflowFailed</c>, an unreadable custom status is left out.
    /// </summary>
    public async Task<IResult> GetStatusAsync(HttpRequest request, DurableTaskClient client, string id, CancellationToken cancellationToken)
    {
        var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken);
        if (instance is null)
        {
            return NotFound(id);
        }

        var result = ReadResult(instance.SerializedOutput);
        return Results.Json(new JobStatus(
            id,
            JobStatusOf(instance.RuntimeStatus, result),
            instance.RuntimeStatus.ToString(),
            instance.CreatedAt,
            instance.LastUpdatedAt,
            ReadProgress(instance.SerializedCustomStatus),
            result,
            result?.Error ?? WorkflowError(instance, result),
            IsUnfinished(instance) ? JobUri(request, id) + "/cancel" : null), ApiJson.Options);
    }

    /// <summary>
    /// GET /api/videos?status=Running&amp;pageSize=50&amp;continuationToken=…: one page of jobs, newest backend order,
    /// optionally filtered by runtime status (Pending, Running, Completed, Failed, Terminated, Suspended). 400 with a
    /// problem per field for an unknown status, a page size outside 1–500 or a continuation token this API did not return.
    /// </summary>
    public async Task<IResult> ListAsync(HttpRequest request, DurableTaskClient client, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        OrchestrationRuntimeStatus[]? statuses = null;
        if (request.Query["status"] is { Count: > 0 } statusValues)
        {
            var parsed = new List<OrchestrationRuntimeStatus>();
            foreach (var value in statusValues.SelectMany(v => v!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
            {
                if (Enum.TryParse(value, ignoreCase: true, out OrchestrationRuntimeStatus status) && ListableStatuses.Contains(status))
                {
                    parsed.Add(status);
                }
                else
                {
                    errors["status"] = [$"status must be one of {string.Join(", ", ListableStatuses)}."];
                }
            }

            statuses = [.. parsed];
        }

        var pageSize = 50;
        if (request.Query["pageSize"] is { Count: > 0 } size && (!int.TryParse(size, out pageSize) || pageSize is < 1 or > 500))
        {
            errors["pageSize"] = ["pageSize must be an integer from 1 to 500."];
        }

        string? continuationToken = null;
        if (request.Query["continuationToken"] is { Count: > 0 } token && !PageToken.TryDecode(token.ToString(), out continuationToken))
        {
            errors["continuationToken"] = ["continuationToken must be the continuationToken of a previous page, unchanged."];
        }

        if (errors.Count > 0)
        {
            return Results.ValidationProblem(errors, title: "The query is invalid.");
        }

        var instances = client.GetAllInstancesAsync(new OrchestrationQuery
        {
            Statuses = statuses,
            PageSize = pageSize,
            FetchInputsAndOutputs = true,
        });
        await foreach (var page in instances.AsPages(continuationToken, pageSize).WithCancellation(cancellationToken))
        {
            return Results.Json(new JobPage(
                [.. page.Values.Select(instance => new JobSummary(
                    instance.InstanceId,
                    JobStatusOf(instance.RuntimeStatus, ReadResult(instance.SerializedOutput)),
                    instance.RuntimeStatus.ToString(),
                    instance.CreatedAt,
                    instance.LastUpdatedAt,
                    JobUri(request, instance.InstanceId)))],
                PageToken.Encode(page.ContinuationToken)), ApiJson.Options);
        }

        return Results.Json(new JobPage([], null), ApiJson.Options);
    }

    private static readonly OrchestrationRuntimeStatus[] ListableStatuses =
    [
        OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Completed,
        OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated, OrchestrationRuntimeStatus.Suspended,
    ];

    /// <summary>POST /api/videos/{id}/cancel: ask a running job to cancel its provider task; 409 once it has finished.</summary>
    public async Task<IResult> CancelAsync(HttpRequest request, DurableTaskClient client, string id, CancellationToken cancellationToken)
    {
        var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: false, cancellationToken);
        if (instance is null)
        {
            return NotFound(id);
        }

        if (!IsUnfinished(instance))
        {
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "The job has already finished.",
                detail: $"Job '{id}' is {instance.RuntimeStatus}; there is nothing left to cancel.");
        }

        await client.RaiseEventAsync(id, WorkflowNames.CancelEvent, new CancelRequest("Requested over HTTP"), cancellationToken);
        var statusUri = JobUri(request, id);
        return new AcceptedWithLocation(statusUri, Results.Json(new CancelAccepted(id, statusUri,
            "Cancellation requested. The provider cancels only tasks that are still PENDING; watch the status."), ApiJson.Options, statusCode: StatusCodes.Status202Accepted));
    }

    /// <summary>The caller-facing state: the orchestration's status refined by the job's outcome.</summary>
    public static string JobStatusOf(OrchestrationRuntimeStatus runtimeStatus, JobResult? result) => runtimeStatus switch
    {
        OrchestrationRuntimeStatus.Completed when result is not null => result.Outcome.ToString(),
        OrchestrationRuntimeStatus.Pending => "Pending",
        _ when IsUnfinished(runtimeStatus) => "Running",
        OrchestrationRuntimeStatus.Terminated => "Terminated",
        _ => "Failed",
    };

    /// <summary>
    /// Pending, running, suspended, or between two generations of a long job (ContinueAsNew): a cancel event will
    /// still be heard.
    /// </summary>
    private static bool IsUnfinished(OrchestrationMetadata instance) => IsUnfinished(instance.RuntimeStatus);

#pragma warning disable CS0618 // ContinuedAsNew is obsolete for callers, but a backend may still report it in passing.
    private static bool IsUnfinished(OrchestrationRuntimeStatus status) => status is OrchestrationRuntimeStatus.Pending
        or OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Suspended or OrchestrationRuntimeStatus.ContinuedAsNew;
#pragma warning restore CS0618

    private static IResult InvalidJob(IReadOnlyDictionary<string, string[]> errors) => Results.ValidationProblem(
        errors.ToDictionary(e => e.Key, e => e.Value),
        title: "The job request is invalid.",
        detail: "Nothing was started. Fix the fields listed in 'errors' and send the job again.");

    private static IResult NotFound(string id) => Results.Problem(statusCode: StatusCodes.Status404NotFound,
        title: "No such job.", detail: $"There is no job with id '{id}'.");

    private static string JobUri(HttpRequest request, string id) =>
        $"{request.Scheme}://{request.Host}{request.PathBase}/{RoutePrefix}/{Uri.EscapeDataString(id)}";

    /// <summary>
    /// The job's result, or null when the output is missing or not a <see cref="JobResult"/> (a failed
    /// orchestration's failure text, truncated JSON, another shape): reading must never fail the request.
    /// </summary>
    internal static JobResult? ReadResult(string? json) =>
        ReadObject<JobResult>(json, "outcome") is { Timings: not null } result && Enum.IsDefined(result.Outcome) ? result : null;

    /// <summary>The job's progress, or null when the custom status is missing or unreadable.</summary>
    internal static JobProgress? ReadProgress(string? json) =>
        ReadObject<JobProgress>(json, "phase") is { } progress && Enum.IsDefined(progress.Phase) ? progress : null;

    /// <summary>
    /// The <c>WorkflowFailed</c> error of a job whose workflow itself broke: the orchestration failed (the message
    /// comes from its failure details or, where the backend keeps none, from the failure text it stored as the
    /// output), or it completed with a result this version cannot read. Null for any other job.
    /// </summary>
    internal static JobError? WorkflowError(OrchestrationMetadata instance, JobResult? result) => instance.RuntimeStatus switch
    {
        OrchestrationRuntimeStatus.Failed => new JobError(JobErrors.WorkflowFailed,
            ApiText.SafeMessage(instance.FailureDetails?.ErrorMessage is { Length: > 0 } message ? message : FailureText(instance.SerializedOutput),
                "The workflow failed without giving a reason."), JobErrorSource.Workflow),
        OrchestrationRuntimeStatus.Completed when result is null => new JobError(JobErrors.WorkflowFailed,
            "The workflow finished but its result cannot be read (it was written by another version of the workflow).", JobErrorSource.Workflow),
        _ => null,
    };

    /// <summary>The failure text a backend stored as a failed orchestration's output: plain text, or a JSON string.</summary>
    private static string? FailureText(string? output)
    {
        if (output is ['"', ..])
        {
            try
            {
                return JsonSerializer.Deserialize<string>(output);
            }
            catch (JsonException)
            {
                // Not a JSON string after all: show it as it is.
            }
        }

        return output;
    }

    /// <summary>A JSON object with <paramref name="requiredProperty"/> read as <typeparamref name="T"/>; null for anything else.</summary>
    private static T? ReadObject<T>(string? json, string requiredProperty) where T : class
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(requiredProperty, out _)
                ? document.RootElement.Deserialize<T>(ApiJson.DurableReadOptions)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// application/json or application/*+json, whatever its parameters (RFC 8259 defines no charset: JSON is UTF-8).
    /// A request without a Content-Type passes only when it declares an empty body (which then fails as a missing job).
    /// </summary>
    private static bool IsJsonBody(HttpRequest request)
    {
        if (string.IsNullOrEmpty(request.ContentType))
        {
            return request.ContentLength == 0;
        }

        return MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            && mediaType.Type.Equals("application", StringComparison.OrdinalIgnoreCase)
            && (mediaType.SubType.Equals("json", StringComparison.OrdinalIgnoreCase)
                || mediaType.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase));
    }

    private static IResult UnsupportedMediaType(string? contentType) => Results.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType,
        title: "The job must be sent as JSON.",
        detail: string.IsNullOrEmpty(contentType)
            ? "The request has a body but no Content-Type; send the job with Content-Type: application/json."
            : $"Content-Type {ApiText.Echo(contentType, 80)} is not accepted; send the job with Content-Type: application/json (or an application/*+json type).");

    /// <summary>
    /// The key of an <c>Idempotency-Key</c> header: one value, as a structured-field string (<c>"order-42"</c>, as the
    /// draft writes it) or bare (<c>order-42</c>), with the same rule as the body field.
    /// </summary>
    private static string? HeaderKey(StringValues values, out string? error)
    {
        error = null;
        if (values.Count != 1)
        {
            error = $"Send one {IdempotencyKeyHeader} header; got {values.Count}.";
            return null;
        }

        var key = values[0]!.Trim();
        if (key.Length >= 2 && key[0] == '"' && key[^1] == '"')
        {
            key = key[1..^1];
        }

        if (!JobValidator.IsValidIdempotencyKey(key))
        {
            error = $"The {IdempotencyKeyHeader} header must be 1-{JobValidator.MaxIdempotencyKeyLength} characters of letters, digits, '.', '_' and '-' (optionally in double quotes).";
            return null;
        }

        return key;
    }

    private static IResult KeyConflict(int status, string title, StartJobOutcome outcome, string key) => Results.Problem(statusCode: status,
        title: title,
        detail: outcome.Errors.TryGetValue("idempotencyKey", out var messages) ? messages[0] : null,
        extensions: new Dictionary<string, object?> { ["idempotencyKey"] = key });

    /// <summary>Adds a Location header to an inner result (Results.Accepted cannot carry a JSON body with our options).</summary>
    private sealed class AcceptedWithLocation(string location, IResult inner) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
