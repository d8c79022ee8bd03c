using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;
using Moq.Protected;
using WanFunctions.Capacity;
using WanFunctions.Workflow;

namespace WanFunctions.Core.Tests.Workflow;

/// <summary>
/// A scripted <see cref="TaskOrchestrationContext"/> (a Moq mock underneath): activities answer from a queue per
/// activity name, timers "fire" at once by moving a fake clock to their fire time, and a cancel event can be made
/// to win the race against a chosen timer. Every activity call, timer, custom status and ContinueAsNew is recorded.
/// </summary>
internal sealed class OrchestrationContextFake
{
    /// <summary>Guards against an orchestrator that loops forever.</summary>
    private const int MaxTimers = 10_000;

    private readonly Mock<TaskOrchestrationContext> mock = new() { CallBase = true };
    private readonly Dictionary<string, Queue<Scripted>> scripted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Scripted> fallbacks = new(StringComparer.Ordinal);
    private readonly HashSet<int> cancelAtTimers = [];
    private readonly HashSet<(string Activity, int Call)> cancelDuringCalls = [];
    private readonly Queue<GateHolder?> wakes = new();
    private TaskCompletionSource<CancelRequest>? cancelWaiter;

    public OrchestrationContextFake(DateTime start, string instanceId = "job-1")
    {
        Now = start;
        // No class has learned anything unless a test says so: today's schedule (null reads as the fallback plan).
        fallbacks[WorkflowNames.GetPollPlan] = new Scripted(null);
        fallbacks[WorkflowNames.RecordPollSample] = new Scripted(true);
        mock.SetupGet(c => c.CurrentUtcDateTime).Returns(() => Now);
        mock.SetupGet(c => c.InstanceId).Returns(instanceId);
        mock.SetupGet(c => c.IsReplaying).Returns(false);
        mock.Protected().SetupGet<ILoggerFactory>("LoggerFactory").Returns(NullLoggerFactory.Instance);

        mock.Setup(c => c.CallActivityAsync<It.IsAnyType>(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns(new InvocationFunc(invocation => Call(
                invocation.Method.GetGenericArguments()[0],
                (TaskName)invocation.Arguments[0],
                invocation.Arguments[1],
                (TaskOptions?)invocation.Arguments[2])));
        mock.Setup(c => c.CallActivityAsync(It.IsAny<TaskName>(), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns((TaskName name, object? input, TaskOptions? options) => (Task)Call(typeof(object), name, input, options));

        mock.Setup(c => c.CreateTimer(It.IsAny<DateTime>(), It.IsAny<CancellationToken>()))
            .Returns((DateTime fireAt, CancellationToken token) => CreateTimer(fireAt, token));
        mock.Setup(c => c.WaitForExternalEvent<CancelRequest>(It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .Returns((string name, CancellationToken _) =>
            {
                EventWaits.Add(name);
                cancelWaiter = new TaskCompletionSource<CancelRequest>();
                return cancelWaiter.Task;
            });
        mock.Setup(c => c.WaitForExternalEvent<GateHolder?>(It.IsAny<string>(), It.IsAny<CancellationToken>()))
            .Returns((string name, CancellationToken _) =>
            {
                EventWaits.Add(name);
                return wakes.TryDequeue(out var grant) ? Task.FromResult(grant) : new TaskCompletionSource<GateHolder?>().Task;
            });
        mock.Setup(c => c.SetCustomStatus(It.IsAny<object?>()))
            .Callback((object? status) =>
            {
                Statuses.Add(status);
                Log.Add(status is JobProgress p ? $"status:{p.Phase}" : "status:?");
            });
        mock.Setup(c => c.ContinueAsNew(It.IsAny<object?>(), It.IsAny<bool>()))
            .Callback((object? input, bool preserve) =>
            {
                ContinuedAsNew = (input, preserve);
                Log.Add("continueAsNew");
            });
    }

    public TaskOrchestrationContext Object => mock.Object;

    public Mock<TaskOrchestrationContext> Mock => mock;

    /// <summary>The fake clock: moves only when a timer fires.</summary>
    public DateTime Now { get; set; }

    public List<ActivityCall> Calls { get; } = [];

    /// <summary>Fire times of every timer created, in order.</summary>
    public List<DateTime> Timers { get; } = [];

    /// <summary>Tokens of the timers, in order (to see which ones the orchestrator canceled).</summary>
    public List<CancellationToken> TimerTokens { get; } = [];

    public List<object?> Statuses { get; } = [];

    public List<JobProgress> Progress => Statuses.OfType<JobProgress>().ToList();

    public List<string> EventWaits { get; } = [];

    /// <summary>Everything in order: "status:Polling", "activity:CheckVideoTask", "timer", "continueAsNew".</summary>
    public List<string> Log { get; } = [];

    public (object? Input, bool PreserveUnprocessedEvents)? ContinuedAsNew { get; private set; }

    public IEnumerable<ActivityCall> CallsTo(string activity) => Calls.Where(c => c.Name == activity);

    /// <summary>Queues answers (results, or exceptions to fail with) for the next calls of an activity.</summary>
    public OrchestrationContextFake Answer(string activity, params object?[] answers)
    {
        if (!scripted.TryGetValue(activity, out var queue))
        {
            scripted[activity] = queue = new Queue<Scripted>();
        }

        foreach (var answer in answers)
        {
            queue.Enqueue(new Scripted(answer));
        }

        return this;
    }

    /// <summary>The answer for every call of an activity once its queue is empty.</summary>
    public OrchestrationContextFake Always(string activity, object? answer)
    {
        fallbacks[activity] = new Scripted(answer);
        return this;
    }

    /// <summary>
    /// The capacity gate's wake events, one per wait for them, in order: each waiter finds its event already there
    /// (so it wins the race against the re-check timer); once they are used up, waiters wait for ever.
    /// </summary>
    public OrchestrationContextFake WakeWith(params GateHolder?[] grants)
    {
        foreach (var grant in grants)
        {
            wakes.Enqueue(grant);
        }

        return this;
    }

    /// <summary>The cancel event arrives while the n-th timer (1-based) is pending: that timer never fires.</summary>
    public OrchestrationContextFake CancelAtTimer(int timerNumber)
    {
        cancelAtTimers.Add(timerNumber);
        return this;
    }

    /// <summary>
    /// The cancel event arrives while the n-th call (1-based) of an activity runs: the waiter completes before the
    /// orchestrator sees the activity's answer, as when the event is delivered in the same episode.
    /// </summary>
    public OrchestrationContextFake CancelDuringActivity(string activity, int callNumber)
    {
        cancelDuringCalls.Add((activity, callNumber));
        return this;
    }

    /// <summary>What an activity that failed (after its retries) looks like to the orchestrator.</summary>
    public static TaskFailedException Failure(string activity, string message, string errorType = "System.InvalidOperationException") =>
        new(activity, 7, new TaskFailureDetails(errorType, message, null, null, null));

    private Task CreateTimer(DateTime fireAt, CancellationToken token)
    {
        Timers.Add(fireAt);
        TimerTokens.Add(token);
        Log.Add("timer");
        if (Timers.Count > MaxTimers)
        {
            throw new InvalidOperationException($"More than {MaxTimers} timers: the orchestrator does not stop.");
        }

        if (cancelAtTimers.Contains(Timers.Count))
        {
            if (cancelWaiter is null)
            {
                throw new InvalidOperationException("The orchestrator waits for no cancel event.");
            }

            cancelWaiter.TrySetResult(new CancelRequest("test"));
            var never = new TaskCompletionSource();
            token.Register(() => never.TrySetCanceled(token));
            return never.Task;
        }

        Now = fireAt;
        return Task.CompletedTask;
    }

    private object Call(Type resultType, TaskName name, object? input, TaskOptions? options)
    {
        Calls.Add(new ActivityCall(name.Name, input, options, Now));
        Log.Add($"activity:{name.Name}");
        if (cancelDuringCalls.Contains((name.Name, CallsTo(name.Name).Count())))
        {
            (cancelWaiter ?? throw new InvalidOperationException("The orchestrator waits for no cancel event."))
                .TrySetResult(new CancelRequest("test"));
        }

        Scripted answer;
        if (scripted.TryGetValue(name.Name, out var queue) && queue.Count > 0)
        {
            answer = queue.Dequeue();
        }
        else if (!fallbacks.TryGetValue(name.Name, out answer!))
        {
            throw new InvalidOperationException($"No scripted answer for activity {name.Name} (call {Calls.Count}).");
        }

        return typeof(OrchestrationContextFake)
            .GetMethod(nameof(Completed), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
            .MakeGenericMethod(resultType)
            .Invoke(null, [answer.Value])!;
    }

    // An answer may be a Task<T> the test completes later, to see what the orchestrator does meanwhile.
    private static Task<T> Completed<T>(object? value) => value switch
    {
        Exception ex => Task.FromException<T>(ex),
        Task<T> later => later,
        _ => Task.FromResult((T)value!),
    };

    private sealed record Scripted(object? Value);
}

internal sealed record ActivityCall(string Name, object? Input, TaskOptions? Options, DateTime At);
