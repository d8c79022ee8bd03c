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
/// <exception cref="ArgumentException">The seconds are not a positive number, or the whole wait is shorter than the run.</exception>
public sealed class RecordPollSampleActivity(IPollStatsStore store, IOptions<WorkflowOptions> options) : IWorkflowActivity<PollSampleInput, bool>
{
    public Task<bool> RunAsync(PollSampleInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!(input.Seconds > 0) || double.IsInfinity(input.Seconds))
        {
            throw new ArgumentException($"The run time of task {input.TaskId} must be a positive number of seconds; got {input.Seconds}.", nameof(input));
        }

        if (input.TotalSeconds is { } total && !(total >= input.Seconds && !double.IsInfinity(total)))
        {
            throw new ArgumentException($"The whole wait of task {input.TaskId} must be at least its run time ({input.Seconds} s); got {total}.", nameof(input));
        }

        var sample = new PollSample(input.TaskId, Math.Round(input.Seconds, 3), input.TotalSeconds is { } t ? Math.Round(t, 3) : null);
        return store.AddAsync(input.ClassKey, sample, options.Value.LearnedPollSampleCapacity, cancellationToken);
    }
}
