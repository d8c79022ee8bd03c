namespace WanFunctions.LocalHost;

/// <summary>
/// Request and response examples for the OpenAPI document: what the API really sends (field names, units, shapes),
/// with made-up ids and times. Job: see the README's API section; problem details: RFC 9457.
/// </summary>
internal static class ApiExamples
{
    public const string Job = """
        {
          "model": "wan2.6-r2v-flash",
          "prompt": "character1 says to character2: 'I'll rely on you tomorrow morning!'",
          "negativePrompt": "blurry",
          "references": [ { "url": "https://example.com/a.mp4" }, { "blob": "references/people/b.png" } ],
          "size": "1280*720",
          "duration": 5,
          "audio": true,
          "shotType": "multi",
          "watermark": false,
          "seed": 42,
          "callbackUrl": "https://example.com/hooks/video-done",
          "idempotencyKey": "order-42",
          "priority": "normal"
        }
        """;

    public const string Accepted = """
        {
          "id": "key-order-42",
          "statusUri": "https://wanfunctions.example.net/api/videos/key-order-42",
          "cancelUri": "https://wanfunctions.example.net/api/videos/key-order-42/cancel",
          "billedSecondsUpperBound": 10,
          "warnings": []
        }
        """;

    public const string Running = """
        {
          "id": "key-order-42",
          "status": "Running",
          "runtimeStatus": "Running",
          "createdAt": "2026-11-29T09:00:00.1200000+00:00",
          "lastUpdatedAt": "2026-11-29T09:01:15.4800000+00:00",
          "progress": {
            "phase": "Polling",
            "taskId": "0385dc79-5ff8-4d82-bcb6-ffffffffffff",
            "providerState": "Running",
            "submittedAt": "2026-11-29T09:00:00.900Z",
            "polls": 2,
            "nextPollAt": "2026-11-29T09:01:37.000Z",
            "deadlineAt": "2026-11-29T09:30:00.900Z",
            "providerRawState": "RUNNING"
          },
          "cancelUri": "https://wanfunctions.example.net/api/videos/key-order-42/cancel"
        }
        """;

    public const string Succeeded = """
        {
          "id": "key-order-42",
          "status": "Succeeded",
          "runtimeStatus": "Completed",
          "createdAt": "2026-11-29T09:00:00.1200000+00:00",
          "lastUpdatedAt": "2026-11-29T09:02:41.3000000+00:00",
          "progress": {
            "phase": "Finished",
            "taskId": "0385dc79-5ff8-4d82-bcb6-ffffffffffff",
            "providerState": "Succeeded",
            "submittedAt": "2026-11-29T09:00:00.900Z",
            "polls": 4,
            "deadlineAt": "2026-11-29T09:30:00.900Z",
            "providerRawState": "SUCCEEDED"
          },
          "result": {
            "outcome": "Succeeded",
            "taskId": "0385dc79-5ff8-4d82-bcb6-ffffffffffff",
            "video": {
              "blobUri": "https://wanfunctionsstore.blob.core.windows.net/videos/2026/11/29/key-order-42.mp4",
              "container": "videos",
              "blobName": "2026/11/29/key-order-42.mp4",
              "bytes": 9453118,
              "alreadyArchived": false
            },
            "usage": { "duration": 10, "inputVideoDuration": 5, "outputVideoDuration": 5, "size": "1280*720", "videoCount": 1, "sr": "720" },
            "timings": {
              "acceptedAt": "2026-11-29T09:00:00.120Z",
              "submittedAt": "2026-11-29T09:00:00.900Z",
              "finishedAt": "2026-11-29T09:02:41.200Z",
              "polls": 4
            }
          }
        }
        """;

    public const string ProviderFailed = """
        {
          "id": "a3c1e0d4f5b64f0c9d2e7a8b6c5d4e3f",
          "status": "Failed",
          "runtimeStatus": "Completed",
          "createdAt": "2026-11-29T09:00:00.1200000+00:00",
          "lastUpdatedAt": "2026-11-29T09:01:02.8000000+00:00",
          "progress": {
            "phase": "Finished",
            "taskId": "7d1f6a2e-0b9c-4e35-8f47-ffffffffffff",
            "providerState": "Failed",
            "submittedAt": "2026-11-29T09:00:00.900Z",
            "polls": 2,
            "deadlineAt": "2026-11-29T09:30:00.900Z",
            "providerRawState": "FAILED"
          },
          "result": {
            "outcome": "Failed",
            "taskId": "7d1f6a2e-0b9c-4e35-8f47-ffffffffffff",
            "timings": { "acceptedAt": "2026-11-29T09:00:00.120Z", "submittedAt": "2026-11-29T09:00:00.900Z", "finishedAt": "2026-11-29T09:01:02.700Z", "polls": 2 },
            "error": { "code": "IPInfringementSuspect", "message": "Input data is suspected of being involved in IP infringement.", "source": "provider" }
          },
          "error": { "code": "IPInfringementSuspect", "message": "Input data is suspected of being involved in IP infringement.", "source": "provider" }
        }
        """;

    public const string Page = """
        {
          "items": [
            {
              "id": "key-order-42",
              "status": "Running",
              "runtimeStatus": "Running",
              "createdAt": "2026-11-29T09:00:00.1200000+00:00",
              "lastUpdatedAt": "2026-11-29T09:01:15.4800000+00:00",
              "statusUri": "https://wanfunctions.example.net/api/videos/key-order-42"
            }
          ],
          "continuationToken": "d2FuMTp7InBhcnRpdGlvbiI6IjAifQ"
        }
        """;

    public const string CancelAccepted = """
        {
          "id": "key-order-42",
          "statusUri": "https://wanfunctions.example.net/api/videos/key-order-42",
          "message": "Cancellation requested. The provider cancels only tasks that are still PENDING; watch the status."
        }
        """;

    public const string Gate = """
        {
          "accounts": [
            {
              "account": "default",
              "enabled": true,
              "maxConcurrentTasks": 5,
              "maxSubmitsPerSecond": 5,
              "effectiveLimit": 5,
              "lastThrottledAt": null,
              "holders": [
                {
                  "jobId": "key-order-42",
                  "priority": "normal",
                  "queuedSince": "2026-11-29T09:00:00.300Z",
                  "grantedAt": "2026-11-29T09:00:00.300Z",
                  "submitAt": "2026-11-29T09:00:00.300Z",
                  "leaseUntil": "2026-11-29T09:06:15.000Z"
                }
              ],
              "queued": []
            }
          ]
        }
        """;

    public const string InvalidJob = """
        {
          "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
          "title": "The job request is invalid.",
          "status": 400,
          "detail": "Nothing was started. Fix the fields listed in 'errors' and send the job again.",
          "errors": {
            "prompt": [ "prompt mentions character3 but there is 1 reference; characterN refers to the N-th reference (1-based order)." ],
            "duration": [ "duration for wan2.6-r2v in International must be an integer from 2 to 10 seconds; got 12." ],
            "audio": [ "Silent video (audio false) is supported only by wan2.6-r2v-flash; wan2.6-r2v always has audio." ]
          }
        }
        """;

    public const string InvalidQuery = """
        {
          "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
          "title": "The query is invalid.",
          "status": 400,
          "errors": { "pageSize": [ "pageSize must be an integer from 1 to 500." ] }
        }
        """;

    public const string Unauthorized = """
        {
          "type": "https://tools.ietf.org/html/rfc9110#section-15.5.2",
          "title": "An API key is required.",
          "status": 401,
          "detail": "Send one of the keys configured in LocalHost:ApiKeys in the x-api-key (or x-functions-key) header."
        }
        """;

    public const string NotFound = """
        {
          "type": "https://tools.ietf.org/html/rfc9110#section-15.5.5",
          "title": "No such job.",
          "status": 404,
          "detail": "There is no job with id 'key-order-43'."
        }
        """;

    public const string StillStarting = """
        {
          "type": "https://tools.ietf.org/html/rfc9110#section-15.5.10",
          "title": "A request with this idempotency key is still being processed.",
          "status": 409,
          "detail": "A request with idempotency key 'order-42' is still starting this job. Retry in a moment to get its id.",
          "idempotencyKey": "order-42"
        }
        """;

    public const string AlreadyFinished = """
        {
          "type": "https://tools.ietf.org/html/rfc9110#section-15.5.10",
          "title": "The job has already finished.",
          "status": 409,
          "detail": "Job 'key-order-42' is Completed; there is nothing left to cancel."
        }
        """;

    public const string UnsupportedMediaType = """
        {
          "type": "https://tools.ietf.org/html/rfc9110#section-15.5.16",
          "title": "The job must be sent as JSON.",
          "status": 415,
          "detail": "Content-Type 'text/plain' is not accepted; send the job with Content-Type: application/json (or an application/*+json type)."
        }
        """;

    public const string KeyReused = """
        {
          "type": "https://tools.ietf.org/html/rfc4918#section-11.2",
          "title": "The idempotency key was already used for a different job.",
          "status": 422,
          "detail": "Idempotency key 'order-42' was already used for a different job. Send the same job to get the job it started, or use a new key for a new job.",
          "idempotencyKey": "order-42"
        }
        """;
}
