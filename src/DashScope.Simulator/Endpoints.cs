using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace DashScope.Simulator;

/// <summary>The provider's HTTP surface plus the <c>/_sim</c> test hooks.</summary>
public sealed class Endpoints(
    SimulatorOptions options,
    TaskStore store,
    TimingModel timing,
    SubmitValidator validator,
    VideoContent video,
    UrlSigner signer,
    RequestRecorder recorder,
    SimulatorClock clock)
{
    public const string SubmitPath = "/api/v1/services/aigc/video-generation/video-synthesis";

    public void Map(IEndpointRouteBuilder app)
    {
        // Cast: a bare HttpContext handler would bind as RequestDelegate and drop the IResult.
        app.MapPost(SubmitPath, (Func<HttpContext, Task<IResult>>)SubmitAsync);
        app.MapGet("/api/v1/tasks/{taskId}", QueryAsync);
        app.MapPost("/api/v1/tasks/{taskId}/cancel", CancelAsync);
        app.MapGet("/api/v1/tasks", List);
        app.MapGet("/results/{file}", DownloadAsync);
        app.MapGet("/_sim/requests", () => Results.Json(recorder.Snapshot(), Json.Options));
        app.MapDelete("/_sim/requests", () =>
        {
            recorder.Clear();
            return Results.NoContent();
        });
    }

    private async Task<IResult> SubmitAsync(HttpContext ctx)
    {
        if (Unauthorized(ctx, out var account) is { } denied)
        {
            return denied;
        }

        if (!string.Equals(ctx.Request.Headers["X-DashScope-Async"].ToString(), "enable", StringComparison.OrdinalIgnoreCase))
        {
            return ProviderResults.Error(ctx, 403, "AccessDenied", "current user api does not support synchronous calls");
        }

        SubmitRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<SubmitRequest>(ctx.Request.Body, Json.Options, ctx.RequestAborted);
        }
        catch (JsonException ex)
        {
            return ProviderResults.InvalidParameter(ctx, $"The request body is not valid JSON: {ex.Message}");
        }

        var submit = validator.Validate(request, out var error);
        if (error is not null)
        {
            return ProviderResults.InvalidParameter(ctx, error);
        }

        if (!TryMarkers(submit.Prompt, out var markers, out error))
        {
            return ProviderResults.InvalidParameter(ctx, error!);
        }

        await DelayAsync(markers, ctx.RequestAborted);

        // Counted submit faults share one attempt number per prompt, consumed in order: 429, 500, 502, then accept500, accept-garbled.
        var m = markers;
        var attempt = m.Submit429 + m.Submit500 + m.Submit502 + m.Accept500 + m.AcceptGarbled > 0 ? store.NextSubmitAttempt(submit.Prompt) : 0;
        if (attempt > 0)
        {
            if (attempt <= m.Submit429)
            {
                return ProviderResults.Error(ctx, 429, "Throttling.RateQuota", "Requests rate limit exceeded, please try again later.", options.RetryAfterSeconds);
            }

            if (attempt <= m.Submit429 + m.Submit500)
            {
                return ProviderResults.Error(ctx, 500, "InternalError", "An internal error has occured, please try again later or contact service support.");
            }

            if (attempt <= m.Submit429 + m.Submit500 + m.Submit502)
            {
                return Results.Content("<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>",
                    "text/html", Encoding.UTF8, 502);
            }
        }

        var requestId = ProviderResults.NewRequestId();
        var task = store.TryCreate(options.MaxConcurrentTasksOf(account), sequence => CreateTask(sequence, submit, markers, requestId, account), account);
        if (task is null)
        {
            return ProviderResults.Error(ctx, 429, "Throttling.AllocationQuota", "Allocated quota exceeded, please increase your quota limit.", options.RetryAfterSeconds);
        }

        // From here the task exists and is billed, whatever the client gets to see.
        var accepted = attempt - (m.Submit429 + m.Submit500 + m.Submit502);
        if (accepted > 0 && accepted <= m.Accept500)
        {
            return Results.StatusCode(500);
        }

        if (accepted > 0 && accepted <= m.Accept500 + m.AcceptGarbled)
        {
            return Results.Text($"{{\"output\":{{\"task_status\":\"PENDING\",\"task_id\":\"{task.Id[..8]}", "application/json", Encoding.UTF8);
        }

        if (m.AcceptLateMs > 0)
        {
            try
            {
                await Task.Delay(m.AcceptLateMs, ctx.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return Results.Empty; // the client gave up: nobody is left to answer
            }
        }

        return ProviderResults.Ok(new SubmitResponse(new SubmitOutput("PENDING", task.Id), requestId));
    }

    private SimTask CreateTask(long sequence, ValidatedSubmit submit, FaultMarkers markers, string requestId, string account)
    {
        var (pending, running) = timing.Plan(sequence,
            new SimJobClass(submit.Model, submit.Size, submit.Duration, submit.Audio, submit.VideoReferenceCount), markers);
        var failCode = markers.FailCode
            ?? (options.FailEveryNthTask > 0 && sequence % options.FailEveryNthTask == 0 ? options.FailEveryNthTaskCode : null);
        return new SimTask
        {
            Id = Guid.NewGuid().ToString(),
            Sequence = sequence,
            Account = account,
            RequestId = requestId,
            Model = submit.Model,
            Prompt = submit.Prompt,
            Size = submit.Size,
            Duration = submit.Duration,
            Audio = submit.Audio,
            ReferenceCount = submit.ReferenceUrls.Count,
            VideoReferenceCount = submit.VideoReferenceCount,
            SubmitTime = clock.UtcNow,
            PendingDuration = pending,
            RunningDuration = running,
            Markers = markers,
            FailCode = failCode,
            FailMessage = failCode is null ? null : markers.FailMessage ?? FaultMarkers.DefaultMessageFor(failCode),
        };
    }

    private async Task<IResult> QueryAsync(HttpContext ctx, string taskId)
    {
        if (Unauthorized(ctx, out var account) is { } denied)
        {
            return denied;
        }

        var requestId = ProviderResults.NewRequestId();
        var task = Visible(taskId, account);
        if (task is null)
        {
            return ProviderResults.Ok(new TaskQueryResponse(requestId, new TaskOutput(taskId, nameof(SimTaskStatus.UNKNOWN)), null));
        }

        await DelayAsync(task.Markers, ctx.RequestAborted);

        // Counted faults are consumed in order: 429s first, then 500s, then malformed bodies.
        var m = task.Markers;
        var n = task.NextQueryNumber();
        if (n > m.RevokeKeyAfter)
        {
            return InvalidApiKey(ctx); // the key was rotated: checked before any other fault
        }

        if (n <= m.Query429)
        {
            return ProviderResults.Error(ctx, 429, "Throttling.RateQuota", "Requests rate limit exceeded, please try again later.", options.RetryAfterSeconds);
        }

        if (n <= m.Query429 + m.Query500)
        {
            return ProviderResults.Error(ctx, 500, "InternalError", "An internal error has occured, please try again later or contact service support.");
        }

        if (n <= m.Query429 + m.Query500 + m.Malformed)
        {
            return Results.Text($"{{\"request_id\":\"{requestId}\",\"output\":{{\"task_id\":\"{task.Id}\",\"task_status\":", "application/json", Encoding.UTF8);
        }

        return ProviderResults.Ok(Describe(ctx, task, requestId));
    }

    private TaskQueryResponse Describe(HttpContext ctx, SimTask task, string requestId)
    {
        var state = timing.StateAt(task, clock.UtcNow);
        var status = state.Reported;
        if (state.Status == SimTaskStatus.UNKNOWN)
        {
            return new(requestId, new TaskOutput(task.Id, status), null);
        }

        string? Time(DateTimeOffset? t) => t is { } v ? ProviderResults.FormatTime(v, options) : null;
        var output = new TaskOutput(task.Id, status,
            SubmitTime: Time(task.SubmitTime),
            ScheduledTime: Time(state.ScheduledTime),
            EndTime: Time(state.EndTime),
            OrigPrompt: task.Prompt);

        return state.Status switch
        {
            SimTaskStatus.RUNNING => new(requestId, output with { TaskMetrics = new TaskMetrics(1, 0, 0) }, null),
            SimTaskStatus.FAILED => new(requestId, output with { Code = task.FailCode, Message = task.FailMessage }, null),
            SimTaskStatus.SUCCEEDED => new(requestId,
                output with { VideoUrl = signer.BuildUrl(PublicBase(ctx), task.Id, state.EndTime!.Value) },
                Billing.UsageFor(task)),
            _ => new(requestId, output, null),
        };
    }

    private async Task<IResult> CancelAsync(HttpContext ctx, string taskId)
    {
        if (Unauthorized(ctx, out var account) is { } denied)
        {
            return denied;
        }

        var task = Visible(taskId, account);
        if (task is not null)
        {
            await DelayAsync(task.Markers, ctx.RequestAborted);
        }

        if (task is { Markers.RevokeKeyAfter: { } keep } && task.QueriesSoFar >= keep)
        {
            return InvalidApiKey(ctx);
        }

        if (task is null || !store.TryCancel(task))
        {
            return ProviderResults.Error(ctx, 400, "UnsupportedOperation", "Failed to cancel the task, please confirm if the task is in PENDING status.");
        }

        return ProviderResults.Ok(new CancelResponse(ProviderResults.NewRequestId()));
    }

    private IResult List(HttpContext ctx)
    {
        if (Unauthorized(ctx, out var account) is { } denied)
        {
            return denied;
        }

        var q = ctx.Request.Query;
        if (!TryInt(q["page_no"], 1, out var pageNo) || pageNo < 1)
        {
            return ProviderResults.InvalidParameter(ctx, "Parameter page_no must be a positive integer.");
        }

        if (!TryInt(q["page_size"], 10, out var pageSize) || pageSize is < 1 or > 100)
        {
            return ProviderResults.InvalidParameter(ctx, "Parameter page_size must be an integer between 1 and 100.");
        }

        if (!TryTime(q["start_time"], out var start))
        {
            return ProviderResults.InvalidParameter(ctx, "Parameter start_time must be formatted yyyyMMddHHmmss.");
        }

        if (!TryTime(q["end_time"], out var end))
        {
            return ProviderResults.InvalidParameter(ctx, "Parameter end_time must be formatted yyyyMMddHHmmss.");
        }

        var status = q["status"].ToString();
        var model = q["model_name"].ToString();

        var now = clock.UtcNow;
        var matches = store.All
            .Where(t => t.Account == account)
            .Select(t => (Task: t, State: timing.StateAt(t, now)))
            .Where(x => x.State.Status != SimTaskStatus.UNKNOWN || now - x.Task.SubmitTime < options.TaskTtl)
            .Where(x => status.Length == 0 || string.Equals(x.State.Reported, status, StringComparison.OrdinalIgnoreCase))
            .Where(x => model.Length == 0 || x.Task.Model == model)
            .Where(x => start is null || x.Task.SubmitTime >= start)
            .Where(x => end is null || x.Task.SubmitTime <= end)
            .OrderByDescending(x => x.Task.Sequence)
            .ToList();

        var region = options.Region switch
        {
            SimulatorRegion.Global => "us-east-1",
            SimulatorRegion.Beijing => "cn-beijing",
            _ => "ap-southeast-1",
        };
        var page = matches.Skip((pageNo - 1) * pageSize).Take(pageSize)
            .Select(x => new TaskListItem(x.Task.Id, x.Task.RequestId, x.State.Reported, x.Task.Model, region,
                x.Task.SubmitTime.ToUnixTimeMilliseconds(), x.State.ScheduledTime?.ToUnixTimeMilliseconds(), x.State.EndTime?.ToUnixTimeMilliseconds()))
            .ToList();
        var totalPages = (matches.Count + pageSize - 1) / pageSize;
        return ProviderResults.Ok(new TaskListResponse(ProviderResults.NewRequestId(), page, matches.Count, totalPages, pageNo, pageSize));
    }

    private async Task<IResult> DownloadAsync(HttpContext ctx, string file)
    {
        // Signed like an OSS object URL: no Authorization header, the query string is the credential.
        if (!file.EndsWith(".mp4", StringComparison.Ordinal))
        {
            return ProviderResults.OssError(ctx, 404, "NoSuchKey", "The specified key does not exist.");
        }

        var taskId = file[..^4];
        var expiresText = ctx.Request.Query["Expires"].ToString();
        var signature = ctx.Request.Query["Signature"].ToString();
        if (expiresText.Length == 0 || signature.Length == 0)
        {
            return ProviderResults.OssError(ctx, 403, "AccessDenied", "You have no right to access this object because of bucket acl.");
        }

        if (!long.TryParse(expiresText, NumberStyles.None, CultureInfo.InvariantCulture, out var expires) || !signer.Verify(taskId, expires, signature))
        {
            return ProviderResults.OssError(ctx, 403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.");
        }

        var now = clock.UtcNow;
        if (now.ToUnixTimeSeconds() > expires)
        {
            return ProviderResults.OssError(ctx, 403, "AccessDenied", "Request has expired.");
        }

        var task = store.Get(taskId);
        if (task is null || timing.StateAt(task, now).Status != SimTaskStatus.SUCCEEDED)
        {
            return ProviderResults.OssError(ctx, 404, "NoSuchKey", "The specified key does not exist.");
        }

        await DelayAsync(task.Markers, ctx.RequestAborted);
        var length = video.LengthFor(task);
        ctx.Response.ContentType = "video/mp4";
        ctx.Response.ContentLength = length;
        ctx.Response.Headers.ETag = $"\"{ETagFor(task.Id, length)}\"";

        if (task.NextDownloadNumber() <= task.Markers.Truncate)
        {
            // Half the promised bytes reach the client, then the connection is reset.
            await video.WriteAsync(ctx.Response.Body, task, length / 2, ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            // Flush only hands bytes to the transport; give it a moment to put them on the wire before the reset.
            await Task.Delay(200, ctx.RequestAborted);
            ctx.Abort();
            return Results.Empty;
        }

        await video.WriteAsync(ctx.Response.Body, task, length, ctx.RequestAborted);
        return Results.Empty;
    }

    /// <summary>Null when the key belongs to an account (<paramref name="account"/> is its label), else the 401.</summary>
    private IResult? Unauthorized(HttpContext ctx, out string account)
    {
        account = options.AccountOf(RequestRecorder.BearerKey(ctx.Request.Headers.Authorization.ToString())) ?? "";
        return account.Length > 0 ? null : InvalidApiKey(ctx);
    }

    /// <summary>The task if <paramref name="account"/> created it: to any other key it does not exist, as at the provider.</summary>
    private SimTask? Visible(string taskId, string account) => store.Get(taskId) is { } task && task.Account == account ? task : null;

    private static IResult InvalidApiKey(HttpContext ctx) => ProviderResults.Error(ctx, 401, "InvalidApiKey", "Invalid API-key provided.");

    private bool TryMarkers(string prompt, out FaultMarkers markers, out string? error)
    {
        // DefaultMarkers were validated at start-up, so only the prompt can be at fault here.
        FaultMarkers.TryParse(options.DefaultMarkers, null, out var defaults, out _);
        return FaultMarkers.TryParse(prompt, defaults, out markers, out error);
    }

    private static Task DelayAsync(FaultMarkers markers, CancellationToken ct) =>
        markers.SlowMs > 0 ? Task.Delay(markers.SlowMs, ct) : Task.CompletedTask;

    private string PublicBase(HttpContext ctx) => options.PublicBaseUrl ?? $"{ctx.Request.Scheme}://{ctx.Request.Host}";

    private static string ETagFor(string taskId, long length) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{taskId}:{length}")))[..32];

    private static bool TryInt(string? text, int fallback, out int value)
    {
        value = fallback;
        return string.IsNullOrEmpty(text) || int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private bool TryTime(string? text, out DateTimeOffset? value)
    {
        value = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (!DateTime.TryParseExact(text, "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return false;
        }

        value = new DateTimeOffset(local, options.TimestampUtcOffset);
        return true;
    }
}
