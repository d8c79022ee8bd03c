using Azure;

namespace WanFunctions.Storage;

/// <summary>How a video reached its blob: the <c>method</c> of <see cref="Workflow.ArchivedVideo"/>.</summary>
public static class ArchiveMethods
{
    /// <summary>
    /// The storage service read the provider's URL itself (Put Blob From URL, or Put Block From URL + Put Block List
    /// beyond its size limit): no byte of the video went through the worker.
    /// </summary>
    public const string ServerCopy = "server-copy";

    /// <summary>The worker downloaded the video and uploaded it in blocks: the storage service refused the server-side copy.</summary>
    public const string Streamed = "streamed";
}

/// <summary>What a refused server-side copy means for the archive.</summary>
public enum ServerCopyRefusal
{
    /// <summary>A real failure (the worker may not write, the service is busy, …): surfaced to the retry policy; streaming would not help.</summary>
    Failure,

    /// <summary>The storage service does not implement the call (Azurite, older API versions): stream, and skip the attempt for a while.</summary>
    NotSupported,

    /// <summary>The storage service could not read the provider's URL (private network, expired or failing source): stream this time.</summary>
    SourceUnreachable,

    /// <summary>The video is over Put Blob From URL's size limit: copy it with Put Block From URL instead.</summary>
    TooLarge,
}

/// <summary>Sorts the storage service's refusals of Put Blob From URL / Put Block From URL.</summary>
public static class ServerCopyRefusals
{
    /// <summary>
    /// <list type="bullet">
    /// <item>501, or <c>APINotImplemented</c> / <c>UnsupportedHeader</c> (a service or emulator that does not know the call
    /// or its <c>x-ms-copy-source</c> header; Azurite answers 501 <c>APINotImplemented</c>) → <see cref="ServerCopyRefusal.NotSupported"/>.</item>
    /// <item><c>CannotVerifyCopySource</c>, whatever the status (the service echoes the source's 403/404/409/5xx) →
    /// <see cref="ServerCopyRefusal.SourceUnreachable"/>; the streamed path then meets the same URL and, if it is expired,
    /// fails with its own clear error.</item>
    /// <item>413, or <c>RequestBodyTooLarge</c> → <see cref="ServerCopyRefusal.TooLarge"/>.</item>
    /// <item>Anything else (403 <c>AuthorizationPermissionMismatch</c>, 404 <c>ContainerNotFound</c>, 409 lease conflicts,
    /// 500/503 <c>ServerBusy</c>, …) → <see cref="ServerCopyRefusal.Failure"/>.</item>
    /// </list>
    /// Source: the REST reference of Put Blob From URL and Put Block From URL (learn.microsoft.com/rest/api/storageservices)
    /// and the Blob service error codes.
    /// </summary>
    public static ServerCopyRefusal Classify(RequestFailedException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return (ex.Status, ex.ErrorCode) switch
        {
            (501, _) or (_, "APINotImplemented" or "UnsupportedHeader") => ServerCopyRefusal.NotSupported,
            (_, "CannotVerifyCopySource") => ServerCopyRefusal.SourceUnreachable,
            (413, _) or (_, "RequestBodyTooLarge") => ServerCopyRefusal.TooLarge,
            _ => ServerCopyRefusal.Failure,
        };
    }
}
