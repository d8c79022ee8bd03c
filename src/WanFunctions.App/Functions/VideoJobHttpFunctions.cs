using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using WanFunctions.Api;

namespace WanFunctions.App.Functions;

/// <summary>The HTTP API: POST a job, GET its state, POST a cancel. All logic is in <see cref="VideoJobEndpoints"/>.</summary>
public sealed class VideoJobHttpFunctions(VideoJobEndpoints endpoints)
{
    [Function("StartVideoJob")]
    public Task<IResult> Start(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "videos")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken) =>
        endpoints.StartAsync(request, client, cancellationToken);

    [Function("GetVideoJob")]
    public Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "videos/{id}")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string id,
        CancellationToken cancellationToken) =>
        endpoints.GetStatusAsync(request, client, id, cancellationToken);

    [Function("CancelVideoJob")]
    public Task<IResult> Cancel(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "videos/{id}/cancel")] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        string id,
        CancellationToken cancellationToken) =>
        endpoints.CancelAsync(request, client, id, cancellationToken);
}
