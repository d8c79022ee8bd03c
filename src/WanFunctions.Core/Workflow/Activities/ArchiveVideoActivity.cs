using System.Diagnostics;
using WanFunctions.DashScope;
using WanFunctions.Storage;
using WanFunctions.Telemetry;

namespace WanFunctions.Workflow.Activities;

/// <summary>
/// Archives the finished video. The provider's permanent refusal of the archive's own look-up of the video URL
/// (401 <c>InvalidApiKey</c> after a key rotation, 403 <c>AccessDenied</c>…) comes back as <see cref="ArchiveOutcome.Error"/>
/// instead of being retried; every other failure is thrown for the orchestration's retry policy. Traced as
/// <c>wan.archive</c> (job, task, model, bytes); a video written now counts in <see cref="WorkflowTelemetry.ArchiveBytes"/>
/// and <see cref="WorkflowTelemetry.ArchiveThroughput"/>.
/// </summary>
public sealed class ArchiveVideoActivity(VideoArchiver archiver) : IWorkflowActivity<ArchiveVideoInput, ArchiveOutcome>
{
    public Task<ArchiveOutcome> RunAsync(ArchiveVideoInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        return WorkflowTelemetry.TraceAsync("archive", input.JobId, async span =>
        {
            span.SetSafeTag(WorkflowTelemetry.Tags.TaskId, input.TaskId);
            span.SetSafeTag(WorkflowTelemetry.Tags.Model, input.Model);
            var started = Stopwatch.GetTimestamp();
            ArchivedVideo video;
            try
            {
                video = await archiver.ArchiveAsync(input, cancellationToken);
            }
            catch (DashScopeException ex) when (!ex.IsTransient)
            {
                span.SetErrorCode(ex.Code);
                return new ArchiveOutcome(null, JobError.FromProvider(ex));
            }

            span?.SetTag(WorkflowTelemetry.Tags.Bytes, video.Bytes);
            if (!video.AlreadyArchived)
            {
                var model = new KeyValuePair<string, object?>(WorkflowTelemetry.Tags.Model, input.Model);
                WorkflowTelemetry.ArchiveBytes.Add(video.Bytes, model);
                var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                if (seconds > 0)
                {
                    WorkflowTelemetry.ArchiveThroughput.Record(video.Bytes / seconds, model);
                }
            }

            return new ArchiveOutcome(video);
        });
    }
}
