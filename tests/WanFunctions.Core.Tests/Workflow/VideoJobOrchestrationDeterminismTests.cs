using WanFunctions.Workflow;
using static WanFunctions.Core.Tests.Workflow.WorkflowData;

namespace WanFunctions.Core.Tests.Workflow;

/// <summary>A replay must take the same path: time comes only from the context.</summary>
public class VideoJobOrchestrationDeterminismTests
{
    private static OrchestrationContextFake Scripted(DateTime start) => Context(start)
        .Answer(WorkflowNames.SubmitVideoTask, Submitted)
        .Answer(WorkflowNames.CheckVideoTask, Pending, Running, Running, Running, Running, Running, Succeeded)
        .Answer(WorkflowNames.ArchiveVideo, Archived)
        .Answer(WorkflowNames.NotifyCallback, (object?)null);

    [Fact]
    public async Task Same_history_gives_the_same_timers_statuses_and_result()
    {
        var first = Scripted(StartedAt);
        var second = Scripted(StartedAt);

        var one = await new VideoJobOrchestration().RunAsync(first.Object, Input(callbackUrl: "https://example.com/hook"));
        await Task.Delay(20); // real time passes between the two runs
        var two = await new VideoJobOrchestration().RunAsync(second.Object, Input(callbackUrl: "https://example.com/hook"));

        Assert.Equal(one, two);
        Assert.Equal(first.Timers, second.Timers);
        Assert.Equal(first.Statuses, second.Statuses);
        Assert.Equal(first.Log, second.Log);
        Assert.Equal(first.Calls.Select(c => (c.Name, c.At)), second.Calls.Select(c => (c.Name, c.At)));
    }

    [Fact]
    public async Task Every_time_in_the_result_and_statuses_comes_from_the_context_clock()
    {
        // A clock far from the real one: any DateTime.UtcNow would stand out.
        DateTime accepted = new(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var start = accepted.AddSeconds(3);
        var context = Scripted(start);
        var input = Input() with { AcceptedAt = accepted };

        var result = await new VideoJobOrchestration().RunAsync(context.Object, input with { Job = input.Job with { CallbackUrl = null } });

        Assert.Equal(new JobTimings(accepted, start, context.Timers[^1], 7), result.Timings);
        Assert.All(context.Timers, t => Assert.InRange(t, start, accepted.AddMinutes(30)));
        Assert.All(context.Progress.Where(p => p.Phase == JobPhase.Polling), p =>
        {
            Assert.Equal(start, p.SubmittedAt);
            Assert.Equal(accepted.AddMinutes(30), p.DeadlineAt);
            Assert.InRange(p.NextPollAt!.Value, start, accepted.AddMinutes(30));
        });
    }
}
