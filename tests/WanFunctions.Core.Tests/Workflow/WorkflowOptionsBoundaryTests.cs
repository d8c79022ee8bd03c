using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Moq;
using WanFunctions.Workflow;
using static WanFunctions.Core.Tests.Workflow.WorkflowData;

namespace WanFunctions.Core.Tests.Workflow;

/// <summary>
/// Every Workflow setting at its limits and just outside them: either the app refuses to start with a message naming
/// the settings, or the jobs it starts run (the orchestrator builds every retry policy and reaches an end).
/// </summary>
public class WorkflowOptionsBoundaryTests
{
    /// <summary>The real registration (both hosts call AddWanFunctions) with valid settings besides "{section}:*".</summary>
    internal static ServiceProvider Build(string[] settings, string section = WorkflowOptions.SectionName)
    {
        var values = new Dictionary<string, string?>
        {
            ["DashScope:BaseUrl"] = "https://dashscope.test",
            ["DashScope:ApiKey"] = "sk-boundary-test",
            ["DashScope:Region"] = "International",
            ["Storage:ConnectionString"] = "UseDevelopmentStorage=true",
        };
        foreach (var setting in settings)
        {
            var parts = setting.Split('=', 2);
            values[$"{section}:{parts[0]}"] = parts[1];
        }

        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        return new ServiceCollection().AddLogging().AddWanFunctions(configuration).BuildServiceProvider();
    }

    /// <summary>What the host runs before it starts (ValidateOnStart).</summary>
    internal static void ValidateAtStart(IServiceProvider provider) => provider.GetRequiredService<IStartupValidator>().Validate();

    [Theory]
    [InlineData]
    [InlineData("FirstPollDelay=00:00:00.1")]
    [InlineData("FirstPollDelay=01:00:00", "PollDeadline=01:00:01")]
    [InlineData("PollInterval=00:00:00.1")]
    [InlineData("PollInterval=01:00:00", "MaxPollInterval=01:00:00")]
    [InlineData("PollBackoffFactor=1")]
    [InlineData("PollBackoffFactor=10")]
    [InlineData("MaxPollInterval=00:00:00.1", "PollInterval=00:00:00.1")]
    [InlineData("MaxPollInterval=01:00:00")]
    [InlineData("PollDeadline=00:00:01", "FirstPollDelay=00:00:00.5", "RetryInterval=00:00:01")]
    [InlineData("PollDeadline=23:00:00")]
    [InlineData("PollDeadline=23:00:00", "PollInterval=00:00:00.1", "MaxPollInterval=00:00:00.1", "PollsPerGeneration=1000")]
    [InlineData("PollsPerGeneration=1")]
    [InlineData("PollsPerGeneration=1000")]
    [InlineData("SubmitAttempts=1")]
    [InlineData("SubmitAttempts=1000")]
    [InlineData("RetryInterval=00:00:00.1")]
    [InlineData("RetryInterval=00:02:00")]
    [InlineData("RetryInterval=00:10:00")]
    [InlineData("RetryInterval=00:10:00", "PollDeadline=00:10:00", "FirstPollDelay=00:09:59")]
    [InlineData("HistoryRetention=00:00:00")]
    [InlineData("HistoryRetention=3650.00:00:00")]
    [InlineData("PurgeBatchSize=1")]
    [InlineData("PurgeBatchSize=100000")]
    public async Task Accepted_settings_start_and_their_jobs_run(params string[] settings)
    {
        using var provider = Build(settings);
        ValidateAtStart(provider);
        var schedule = provider.GetRequiredService<IOptions<WorkflowOptions>>().Value.ToSchedule();

        // Succeeds with a callback: submit, poll, archive and callback each get their retry policy.
        var succeeds = Context(AcceptedAt)
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Succeeded)
            .Answer(WorkflowNames.ArchiveVideo, Archived)
            .Always(WorkflowNames.NotifyCallback, true);
        var result = await new VideoJobOrchestration().RunAsync(succeeds.Object, Input(schedule, callbackUrl: "https://example.com/hook"));
        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(4, succeeds.Calls.Count(c => c.Options?.Retry?.Policy is not null));

        // Never leaves PENDING: polls on the schedule until the deadline (cancel, TimedOut) or the end of a generation.
        var pending = Context(AcceptedAt)
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Always(WorkflowNames.CheckVideoTask, Pending)
            .Always(WorkflowNames.CancelVideoTask, new CancelOutcome(true));
        var late = await new VideoJobOrchestration().RunAsync(pending.Object, Input(schedule));
        Assert.True(late?.Outcome == JobOutcome.TimedOut || pending.ContinuedAsNew is not null);

        // The history purge (HistoryRetention, PurgeBatchSize) runs with these settings too.
        var client = new Mock<DurableTaskClient>("test");
        client.Setup(c => c.GetAllInstancesAsync(It.IsAny<OrchestrationQuery?>()))
            .Returns(Pageable.Create((string? _, int? _, CancellationToken _) =>
                Task.FromResult(new Page<OrchestrationMetadata>([new OrchestrationMetadata(WorkflowNames.Orchestrator, JobId)], null))));
        client.Setup(c => c.PurgeInstanceAsync(JobId, It.IsAny<CancellationToken>())).ReturnsAsync(new PurgeResult(1));
        var purge = await provider.GetRequiredService<JobHistoryPurger>().PurgeAsync(client.Object, CancellationToken.None);
        Assert.Equal(1, purge.Purged);
    }

    [Theory]
    [InlineData("FirstPollDelay", "FirstPollDelay=00:00:00.0999999")]
    [InlineData("FirstPollDelay", "FirstPollDelay=01:00:00.0000001")]
    [InlineData("PollInterval", "PollInterval=00:00:00.0999999")]
    [InlineData("PollInterval", "PollInterval=01:00:00.0000001")]
    [InlineData("PollBackoffFactor", "PollBackoffFactor=0.99")]
    [InlineData("PollBackoffFactor", "PollBackoffFactor=10.01")]
    [InlineData("PollBackoffFactor", "PollBackoffFactor=NaN")]
    [InlineData("MaxPollInterval", "MaxPollInterval=00:00:00.0999999")]
    [InlineData("MaxPollInterval", "MaxPollInterval=01:00:00.0000001")]
    [InlineData("PollDeadline", "PollDeadline=00:00:00.9999999")]
    [InlineData("PollDeadline", "PollDeadline=23:00:00.0000001")]
    [InlineData("PollsPerGeneration", "PollsPerGeneration=0")]
    [InlineData("PollsPerGeneration", "PollsPerGeneration=1001")]
    [InlineData("SubmitAttempts", "SubmitAttempts=0")]
    [InlineData("SubmitAttempts", "SubmitAttempts=1001")]
    [InlineData("RetryInterval", "RetryInterval=00:00:00.0999999")]
    [InlineData("RetryInterval", "RetryInterval=00:10:00.0000001")]
    [InlineData("HistoryRetention", "HistoryRetention=-00:00:00.0000001")]
    [InlineData("HistoryRetention", "HistoryRetention=3650.00:00:00.0000001")]
    [InlineData("PurgeBatchSize", "PurgeBatchSize=0")]
    [InlineData("PurgeBatchSize", "PurgeBatchSize=100001")]
    public void Settings_out_of_range_stop_the_start_naming_the_setting(string setting, params string[] settings)
    {
        Assert.Contains(Refused(settings), failure => failure.Contains(setting, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Workflow:MaxPollInterval (00:01:00) must be at least Workflow:PollInterval (00:01:01)", "PollInterval=00:01:01")]
    [InlineData("Workflow:MaxPollInterval (00:00:00.1000000) must be at least Workflow:PollInterval (00:00:15)", "MaxPollInterval=00:00:00.1")]
    [InlineData("Workflow:RetryInterval (00:02:00) must not exceed Workflow:PollDeadline (00:01:59)",
        "RetryInterval=00:02:00", "PollDeadline=00:01:59", "FirstPollDelay=00:00:30")]
    [InlineData("Workflow:FirstPollDelay (00:30:00) must be shorter than Workflow:PollDeadline (00:30:00)", "FirstPollDelay=00:30:00")]
    [InlineData("Workflow:FirstPollDelay (01:00:00) must be shorter than Workflow:PollDeadline (00:30:00)", "FirstPollDelay=01:00:00")]
    public void Inconsistent_settings_stop_the_start_naming_both(string message, params string[] settings)
    {
        Assert.Contains(Refused(settings), failure => failure.StartsWith(message, StringComparison.Ordinal));
    }

    [Fact]
    public void The_shortest_deadline_with_the_default_first_poll_and_retry_interval_is_refused_for_both()
    {
        var failures = Refused(["PollDeadline=00:00:01"]);

        Assert.Contains(failures, f => f.StartsWith("Workflow:RetryInterval (00:00:15) must not exceed Workflow:PollDeadline (00:00:01)", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Workflow:FirstPollDelay (00:00:45) must be shorter than Workflow:PollDeadline (00:00:01)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_retry_interval_above_a_minute_raises_the_submit_policys_max_interval()
    {
        var schedule = DefaultSchedule with { RetryInterval = TimeSpan.FromMinutes(2) };
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Succeeded)
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        await new VideoJobOrchestration().RunAsync(context.Object, Input(schedule));

        var policy = context.CallsTo(WorkflowNames.SubmitVideoTask).Single().Options!.Retry!.Policy!;
        Assert.Equal(TimeSpan.FromMinutes(2), policy.FirstRetryInterval);
        Assert.Equal(TimeSpan.FromMinutes(2), policy.MaxRetryInterval);
        Assert.Equal(schedule.Deadline, policy.RetryTimeout);
    }

    /// <summary>The start fails; returns the WorkflowOptions failures (other options are valid here).</summary>
    private static IReadOnlyList<string> Refused(string[] settings)
    {
        using var provider = Build(settings);
        var ex = Assert.ThrowsAny<Exception>(() => ValidateAtStart(provider));
        IEnumerable<Exception> all = ex is AggregateException aggregate ? aggregate.Flatten().InnerExceptions : [ex];
        var failure = Assert.Single(all.OfType<OptionsValidationException>());
        Assert.Equal(typeof(WorkflowOptions), failure.OptionsType);
        return failure.Failures.ToList();
    }
}
