using System.Collections.Concurrent;

namespace DashScope.Simulator;

/// <summary>In-memory task table with the concurrency limit checked atomically with insertion.</summary>
public sealed class TaskStore(TimingModel timing, SimulatorClock clock)
{
    private readonly ConcurrentDictionary<string, SimTask> _tasks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _submitAttempts = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _sequence;
    private int _peakActive;
    private readonly Dictionary<string, int> _peakByAccount = new(StringComparer.Ordinal);

    public SimTask? Get(string id) => _tasks.GetValueOrDefault(id);

    public IReadOnlyCollection<SimTask> All => _tasks.Values.ToArray();

    /// <summary>
    /// The most tasks PENDING or RUNNING at once so far (from a submit's acceptance to the task's terminal state). The
    /// count only grows at an acceptance, so checking it there sees every peak.
    /// </summary>
    public int PeakActive
    {
        get { lock (_gate)
            {
                return _peakActive;
            }
        }
    }

    /// <summary>The most tasks of one account (its label) PENDING or RUNNING at once so far.</summary>
    public int PeakActiveOf(string account)
    {
        lock (_gate)
        {
            return _peakByAccount.GetValueOrDefault(account);
        }
    }

    /// <summary>1-based attempt number for submissions with this exact prompt (drives submit429=N / submit500=N).</summary>
    public int NextSubmitAttempt(string prompt) => _submitAttempts.AddOrUpdate(prompt, 1, (_, n) => n + 1);

    /// <summary>
    /// Creates a task unless <paramref name="maxActive"/> tasks of <paramref name="account"/> are already PENDING or
    /// RUNNING (each account has its own limit, as each of the provider's accounts does).
    /// </summary>
    public SimTask? TryCreate(int maxActive, Func<long, SimTask> factory, string account = SimulatorOptions.DefaultAccount)
    {
        lock (_gate)
        {
            var now = clock.UtcNow;
            var activeTasks = _tasks.Values.Where(t => timing.StateAt(t, now).IsActive).ToList();
            var active = activeTasks.Count(t => t.Account == account);
            if (active >= maxActive)
            {
                return null;
            }

            var task = factory(++_sequence);
            _tasks[task.Id] = task;
            _peakActive = Math.Max(_peakActive, activeTasks.Count + 1);
            _peakByAccount[account] = Math.Max(_peakByAccount.GetValueOrDefault(account), active + 1);
            return task;
        }
    }

    /// <summary>Cancels only while PENDING, evaluated atomically against other cancels.</summary>
    public bool TryCancel(SimTask task)
    {
        lock (_gate)
        {
            var now = clock.UtcNow;
            if (timing.StateAt(task, now).Status != SimTaskStatus.PENDING)
            {
                return false;
            }

            task.MarkCanceled(now);
            return true;
        }
    }
}
