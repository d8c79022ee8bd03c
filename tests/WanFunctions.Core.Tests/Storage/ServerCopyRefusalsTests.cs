using Azure;
using WanFunctions.Storage;

namespace WanFunctions.Core.Tests.Storage;

/// <summary>Which refusals of Put Blob From URL / Put Block From URL fall back to streaming, and which are real failures.</summary>
public sealed class ServerCopyRefusalsTests
{
    [Theory]
    // Azurite (and any service that does not implement the call).
    [InlineData(501, "APINotImplemented", ServerCopyRefusal.NotSupported)]
    [InlineData(501, null, ServerCopyRefusal.NotSupported)]
    [InlineData(400, "UnsupportedHeader", ServerCopyRefusal.NotSupported)]
    // The storage service cannot read the provider's URL: it echoes the source's status.
    [InlineData(403, "CannotVerifyCopySource", ServerCopyRefusal.SourceUnreachable)]
    [InlineData(404, "CannotVerifyCopySource", ServerCopyRefusal.SourceUnreachable)]
    [InlineData(409, "CannotVerifyCopySource", ServerCopyRefusal.SourceUnreachable)]
    [InlineData(500, "CannotVerifyCopySource", ServerCopyRefusal.SourceUnreachable)]
    // Over Put Blob From URL's size limit.
    [InlineData(413, "RequestBodyTooLarge", ServerCopyRefusal.TooLarge)]
    [InlineData(413, null, ServerCopyRefusal.TooLarge)]
    // Real failures: streaming with the same identity, container or service would not do better.
    [InlineData(403, "AuthorizationPermissionMismatch", ServerCopyRefusal.Failure)]
    [InlineData(403, "AuthorizationFailure", ServerCopyRefusal.Failure)]
    [InlineData(404, "ContainerNotFound", ServerCopyRefusal.Failure)]
    [InlineData(409, "LeaseIdMissing", ServerCopyRefusal.Failure)]
    [InlineData(412, "ConditionNotMet", ServerCopyRefusal.Failure)]
    [InlineData(400, "InvalidHeaderValue", ServerCopyRefusal.Failure)]
    [InlineData(500, "InternalError", ServerCopyRefusal.Failure)]
    [InlineData(503, "ServerBusy", ServerCopyRefusal.Failure)]
    [InlineData(0, null, ServerCopyRefusal.Failure)]
    public void Each_refusal_is_sorted(int status, string? errorCode, ServerCopyRefusal expected)
    {
        var ex = new RequestFailedException(status, "refused", errorCode, innerException: null);

        Assert.Equal(expected, ServerCopyRefusals.Classify(ex));
    }
}
