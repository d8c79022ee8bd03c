using WanFunctions.DashScope;
using WanFunctions.Storage;

namespace WanFunctions.Workflow.Activities;

/// <summary>
/// Archives the finished video. The provider's permanent refusal of the archive's own look-up of the video URL
/// (401 <c>InvalidApiKey</c> after a key rotation, 403 <c>AccessDenied</c>…) comes back as <see cref="ArchiveOutcome.Error"/>
/// instead of being retried; every other failure is thrown for the orchestration's retry policy.
/// </summary>
public sealed class ArchiveVideoActivity(VideoArchiver archiver) : IWorkflowActivity<ArchiveVideoInput, ArchiveOutcome>
{
    public async Task<ArchiveOutcome> RunAsync(ArchiveVideoInput input, CancellationToken cancellationToken)
    {
        try
        {
            return new ArchiveOutcome(await archiver.ArchiveAsync(input, cancellationToken));
        }
        catch (DashScopeException ex) when (!ex.IsTransient)
        {
            return new ArchiveOutcome(null, JobError.FromProvider(ex));
        }
    }
}
