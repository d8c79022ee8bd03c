using WanFunctions.Storage;

namespace WanFunctions.Workflow.Activities;

public sealed class ArchiveVideoActivity(VideoArchiver archiver) : IWorkflowActivity<ArchiveVideoInput, ArchivedVideo>
{
    public Task<ArchivedVideo> RunAsync(ArchiveVideoInput input, CancellationToken cancellationToken) =>
        archiver.ArchiveAsync(input, cancellationToken);
}
