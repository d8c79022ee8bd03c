using Microsoft.Extensions.Options;

namespace WanFunctions.Workflow;

/// <summary>
/// The cross-field rules of <see cref="WorkflowOptions"/> (the single-field ranges are data annotations), checked at
/// start-up so that a setting the app accepts never breaks a job later. Combinations that still make sense are
/// accepted by the code instead (a <see cref="WorkflowOptions.RetryInterval"/> above the submit policy's one-minute
/// cap raises the cap). Each message names the settings involved.
/// </summary>
public sealed class WorkflowOptionsValidator : IValidateOptions<WorkflowOptions>
{
    private const string Section = WorkflowOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, WorkflowOptions options)
    {
        var failures = new List<string>();
        if (options.MaxPollInterval < options.PollInterval)
        {
            failures.Add($"{Section}:{nameof(WorkflowOptions.MaxPollInterval)} ({options.MaxPollInterval:c}) must be at least " +
                $"{Section}:{nameof(WorkflowOptions.PollInterval)} ({options.PollInterval:c}): the poll interval grows from the one to the other.");
        }

        // The durable RetryPolicy refuses a retry timeout (the submit policy's is the deadline) below its first interval.
        if (options.RetryInterval > options.PollDeadline)
        {
            failures.Add($"{Section}:{nameof(WorkflowOptions.RetryInterval)} ({options.RetryInterval:c}) must not exceed " +
                $"{Section}:{nameof(WorkflowOptions.PollDeadline)} ({options.PollDeadline:c}): submit retries stop at the deadline.");
        }

        if (options.FirstPollDelay >= options.PollDeadline)
        {
            failures.Add($"{Section}:{nameof(WorkflowOptions.FirstPollDelay)} ({options.FirstPollDelay:c}) must be shorter than " +
                $"{Section}:{nameof(WorkflowOptions.PollDeadline)} ({options.PollDeadline:c}), or every job would time out before its first poll.");
        }

        if (options.LearnedPollMaxGap < options.LearnedPollMinGap)
        {
            failures.Add($"{Section}:{nameof(WorkflowOptions.LearnedPollMaxGap)} ({options.LearnedPollMaxGap:c}) must be at least " +
                $"{Section}:{nameof(WorkflowOptions.LearnedPollMinGap)} ({options.LearnedPollMinGap:c}): they are the ceiling and floor between two queries.");
        }

        if (options.LearnedPollSampleCapacity < options.LearnedPollMinSamples)
        {
            failures.Add($"{Section}:{nameof(WorkflowOptions.LearnedPollSampleCapacity)} ({options.LearnedPollSampleCapacity}) must be at least " +
                $"{Section}:{nameof(WorkflowOptions.LearnedPollMinSamples)} ({options.LearnedPollMinSamples}), or no class would ever have enough samples.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
