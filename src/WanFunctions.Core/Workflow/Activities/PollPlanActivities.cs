using Microsoft.Extensions.Options;

namespace WanFunctions.Workflow.Activities;

/// <summary>
/// The job's poll plan, read once when its wait starts (input: the job's class, <see cref="PollClass"/>): the class's
/// learned run times, or today's schedule while it has fewer than <see cref="WorkflowOptions.LearnedPollMinSamples"/>.
/// Reads only, so safe to run twice.
/// </summary>
public sealed class GetPollPlanActivity(IPollStatsStore store, IOptions<WorkflowOptions> options) : IWorkflowActivity<string, PollPlan>
{
    public async Task<PollPlan> RunAsync(string classKey, CancellationToken cancellationToken) =>
        (await store.ReadAsync(classKey, cancellationToken)).ToPlan(options.Value);
}

/// <summary>
/// Adds a succeeded task's RUNNING time and whole wait to its class's table, bounded to
/// <see cref="WorkflowOptions.LearnedPollSampleCapacity"/>. Safe to run twice: a task is counted once.
/// </summary>
/// <exception cref="ArgumentException">
/// The seconds are not a positive number up to <see cref="MaxSeconds"/> (a provider task and its video link live 24 h),
/// or the whole wait is shorter than the run: a bogus provider timestamp must not reach the class's table, whose
/// quantiles the orchestrator adds to its clock.
/// </exception>
public sealed class RecordPollSampleActivity(IPollStatsStore store, IOptions<WorkflowOptions> options) : IWorkflowActivity<PollSampleInput, bool>
{
    /// <summary>The longest run or wait a table takes, in seconds: 24 h.</summary>
    public const double MaxSeconds = 24 * 3600;

    public Task<bool> RunAsync(PollSampleInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!(input.Seconds is > 0 and <= MaxSeconds))
        {
            throw new ArgumentException($"The run time of task {input.TaskId} must be a positive number of seconds up to {MaxSeconds}; got {input.Seconds}.", nameof(input));
        }

        if (input.TotalSeconds is { } total && !(total >= input.Seconds && total <= MaxSeconds))
        {
            throw new ArgumentException($"The whole wait of task {input.TaskId} must be at least its run time ({input.Seconds} s) and at most {MaxSeconds} s; got {total}.", nameof(input));
        }

        var sample = new PollSample(input.TaskId, Math.Round(input.Seconds, 3), input.TotalSeconds is { } t ? Math.Round(t, 3) : null);
        return store.AddAsync(input.ClassKey, sample, options.Value.LearnedPollSampleCapacity, cancellationToken);
    }
}
