using System.ComponentModel.DataAnnotations;

namespace WanFunctions.Workflow;

/// <summary>Polling and retry settings (section "Workflow"). Copied into each job's input when it starts.</summary>
public sealed class WorkflowOptions
{
    public const string SectionName = "Workflow";

    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")]
    public TimeSpan FirstPollDelay { get; set; } = TimeSpan.FromSeconds(45);

    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(15);

    [Range(1.0, 10.0)]
    public double PollBackoffFactor { get; set; } = 1.5;

    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")]
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a provider task may take from the provider's acceptance to a terminal state. Below the 24 h URL expiry.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "23:00:00")]
    public TimeSpan PollDeadline { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long a job may wait for a slot of the capacity gate before it ends <c>QueueTimeout</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan MaxQueueTime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Polls before the orchestration restarts itself with ContinueAsNew, which keeps history short.</summary>
    [Range(1, 1000)]
    public int PollsPerGeneration { get; set; } = 100;

    /// <summary>
    /// Submit attempts on transient provider errors (429, 5xx, timeouts), at most a minute (or <see cref="RetryInterval"/>,
    /// if longer) apart and never past <see cref="PollDeadline"/>: 30 attempts cover the default 30-minute deadline.
    /// </summary>
    [Range(1, 1000)]
    public int SubmitAttempts { get; set; } = 30;

    /// <summary>First wait before an activity is retried; doubles on each attempt. At most <see cref="PollDeadline"/>
    /// (<see cref="WorkflowOptionsValidator"/> has this and the other cross-field rules).</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "00:10:00")]
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the durable history (status, result) of a finished job is kept before it is purged.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "3650.00:00:00")]
    public TimeSpan HistoryRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// At most this many finished jobs' histories are purged per run (hourly), so a backlog of tens of thousands is
    /// cleared over several runs instead of failing one long one. The default, 24 000 a day, outpaces what the
    /// provider's 5 concurrent tasks per account can finish.
    /// </summary>
    [Range(1, 100_000)]
    public int PurgeBatchSize { get; set; } = 1000;

    /// <summary>
    /// Poll on the schedule learned per job class (<see cref="PollSchedule"/>) once the class has
    /// <see cref="LearnedPollMinSamples"/> finished runs; until then, and when false, on the schedule above.
    /// </summary>
    public bool LearnedPolling { get; set; } = true;

    /// <summary>Finished runs a class needs before its learned schedule is used (fewer: the schedule above).</summary>
    [Range(1, 10_000)]
    public int LearnedPollMinSamples { get; set; } = 20;

    /// <summary>The latest runs kept per class (<c>{state container}/poll-stats/{class}.json</c>); at least <see cref="LearnedPollMinSamples"/>.</summary>
    [Range(2, 10_000)]
    public int LearnedPollSampleCapacity { get; set; } = 200;

    /// <summary>
    /// The first query goes to this quantile of the class's whole wait, counted from the submit; after a PENDING answer
    /// or an early RUNNING one, the next goes to this quantile of the run time (see <see cref="PollSchedule"/>).
    /// </summary>
    [Range(0.0, 1.0)]
    public double LearnedPollFirstQuantile { get; set; } = 0.1;

    /// <summary>Each later query goes this share further into the remaining (conditional) run-time distribution.</summary>
    [Range(0.01, 1.0)]
    public double LearnedPollStepQuantile { get; set; } = 0.3;

    /// <summary>The learned schedule's floor between two queries (the provider allows 20 queries a second per account).</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")]
    public TimeSpan LearnedPollMinGap { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The learned schedule's ceiling between two queries once the task may be done: it bounds the detection latency of
    /// tasks a look has seen at work (not of the ~10 % that finish before their first look; see <see cref="PollSchedule"/>).
    /// The defaults (0.1, 0.3, 5 s, 18 s) are the polling bench's choice (tests/bench.sh --only polling) for a
    /// detection latency p95 under 20 s with the fewest queries.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")]
    public TimeSpan LearnedPollMaxGap { get; set; } = TimeSpan.FromSeconds(18);

    public PollingSchedule ToSchedule() => new(
        FirstPollDelay, PollInterval, PollBackoffFactor, MaxPollInterval, PollDeadline,
        PollsPerGeneration, SubmitAttempts, RetryInterval, LearnedPolling);
}
