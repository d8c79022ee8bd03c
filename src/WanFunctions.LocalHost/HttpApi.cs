using Microsoft.DurableTask.Client;
using WanFunctions.Api;
using WanFunctions.Jobs;

namespace WanFunctions.LocalHost;

/// <summary>
/// The local host's routes for the shared endpoints (<see cref="VideoJobEndpoints"/>, <see cref="GateEndpoints"/>),
/// with the metadata the OpenAPI document is built from: operation ids (the Functions app's function names), summaries,
/// request and response types, problem-details answers, headers, query parameters and examples.
/// The Functions app serves the same routes (its HTTP triggers); tests hold both to <c>docs/openapi.json</c>.
/// </summary>
internal static class HttpApi
{
    public static void MapHttpApi(this WebApplication app)
    {
        // One group for the conventions every API route shares (its prefix is in the routes' own constants).
        var api = app.MapGroup("")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status500InternalServerError)
            .WithResponseExample(StatusCodes.Status401Unauthorized, ApiExamples.Unauthorized);

        var videos = "/" + VideoJobEndpoints.RoutePrefix;
        api.MapPost(videos, (HttpRequest request, DurableTaskClient client, VideoJobEndpoints endpoints, CancellationToken ct) =>
                endpoints.StartAsync(request, client, ct))
            .WithName("StartVideoJob")
            .WithTags("videos")
            .WithSummary("Start a video job")
            .WithDescription("Validates the job against the provider's rules and starts its workflow; nothing starts unless the whole job is " +
                "valid. With an idempotency key (header or body field) the job id is key-{key}: the same key with the same job answers " +
                "that job again (Idempotent-Replayed: true), with a different job 422.")
            .WithJsonRequestBody<VideoJobRequest>(ApiExamples.Job)
            .Produces<JobAccepted>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithHeaderParameter(VideoJobEndpoints.IdempotencyKeyHeader,
                "1-100 letters, digits, '.', '_', '-', bare or as a quoted string; the same as the body's idempotencyKey (both at once must agree).")
            .WithResponseHeader(StatusCodes.Status202Accepted, "Location", "The job's status URI.")
            .WithResponseHeader(StatusCodes.Status202Accepted, "Idempotent-Replayed", "\"true\" when the idempotency key found the job it started before.")
            .WithResponseHeader(StatusCodes.Status409Conflict, "Retry-After", "Seconds to wait before sending the request again (1).", "integer")
            .WithResponseExample(StatusCodes.Status202Accepted, ApiExamples.Accepted)
            .WithResponseExample(StatusCodes.Status400BadRequest, ApiExamples.InvalidJob)
            .WithResponseExample(StatusCodes.Status409Conflict, ApiExamples.StillStarting)
            .WithResponseExample(StatusCodes.Status415UnsupportedMediaType, ApiExamples.UnsupportedMediaType)
            .WithResponseExample(StatusCodes.Status422UnprocessableEntity, ApiExamples.KeyReused);

        api.MapGet(videos, (HttpRequest request, DurableTaskClient client, VideoJobEndpoints endpoints, CancellationToken ct) =>
                endpoints.ListAsync(request, client, ct))
            .WithName("ListVideoJobs")
            .WithTags("videos")
            .WithSummary("List jobs, one page at a time")
            .Produces<JobPage>()
            .ProducesValidationProblem()
            .WithQueryParameter("status", "Runtime statuses to keep, comma-separated: Pending, Running, Completed, Failed, Terminated, Suspended.")
            .WithQueryParameter("pageSize", "Jobs per page, 1-500 (default 50).", "integer")
            .WithQueryParameter("continuationToken", "The previous page's continuationToken.")
            .WithResponseExample(StatusCodes.Status200OK, ApiExamples.Page)
            .WithResponseExample(StatusCodes.Status400BadRequest, ApiExamples.InvalidQuery);

        api.MapGet(videos + "/{id}", (string id, HttpRequest request, DurableTaskClient client, VideoJobEndpoints endpoints, CancellationToken ct) =>
                endpoints.GetStatusAsync(request, client, id, ct))
            .WithName("GetVideoJob")
            .WithTags("videos")
            .WithSummary("Read a job's state")
            .WithDescription("Progress while it runs; result or error once it is done. A job whose workflow itself broke reads Failed with error WorkflowFailed.")
            .Produces<JobStatus>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithResponseExamples(StatusCodes.Status200OK, ("running", ApiExamples.Running), ("succeeded", ApiExamples.Succeeded), ("failed", ApiExamples.ProviderFailed))
            .WithResponseExample(StatusCodes.Status404NotFound, ApiExamples.NotFound);

        api.MapPost(videos + "/{id}/cancel", (string id, HttpRequest request, DurableTaskClient client, VideoJobEndpoints endpoints, CancellationToken ct) =>
                endpoints.CancelAsync(request, client, id, ct))
            .WithName("CancelVideoJob")
            .WithTags("videos")
            .WithSummary("Cancel a job")
            .WithDescription("Hands a cancel to the job. The provider cancels only PENDING tasks; a RUNNING one goes on and the status says so.")
            .Produces<CancelAccepted>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithResponseHeader(StatusCodes.Status202Accepted, "Location", "The job's status URI.")
            .WithResponseExample(StatusCodes.Status202Accepted, ApiExamples.CancelAccepted)
            .WithResponseExample(StatusCodes.Status404NotFound, ApiExamples.NotFound)
            .WithResponseExample(StatusCodes.Status409Conflict, ApiExamples.AlreadyFinished);

        api.MapGet("/" + GateEndpoints.Route, (GateEndpoints gate, CancellationToken ct) => gate.GetAsync(ct))
            .WithName("GetCapacityGate")
            .WithTags("gate")
            .WithSummary("The capacity gate of every account")
            .WithDescription("Limits, the effective limit after throttling, the jobs holding slots and the queue in the order slots go.")
            .Produces<GateOverview>()
            .WithResponseExample(StatusCodes.Status200OK, ApiExamples.Gate);
    }
}
