using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace WanFunctions.Capacity;

/// <summary>
/// The capacity gate at the door: the starter (HTTP or blob, both hosts) asks it for each job it starts, and the answer
/// rides in the orchestration's input (<see cref="GateTicket.Admission"/>). Everything here is best effort: a failure
/// is logged and leaves the asking (or the giving back) to the orchestration and the leases.
/// </summary>
public sealed partial class DoorAdmission(CapacityGates gates, ILogger<DoorAdmission> log)
{
    /// <summary>
    /// At the door: the gate's answer for the job now (<see cref="CapacityGates.AcquireAsync"/>: a slot, or its
    /// place in the queue, in POST order), carried in the orchestration's input, so that its first step submits or waits
    /// for its wake without a trip to the gate through the activity queue (which, in a burst, holds every other job's).
    /// If the gate cannot be reached the ticket goes as it is, and the orchestration asks the gate itself. Not canceled
    /// with the request: once the gate has written, the answer must reach the start (or the give-back after it fails).
    /// </summary>
    public async Task<GateTicket> AdmitAsync(string jobId, GateTicket ticket, IJobWaker waker)
    {
        try
        {
            var answer = await gates.AcquireAsync(ticket.RequestFor(jobId), waker, CancellationToken.None);
            return ticket with { Account = answer.Account, Candidates = null, Admission = answer };
        }
        catch (Exception ex)
        {
            LogNotAdmitted(log, jobId, ex.GetType().Name);
            return ticket;
        }
    }

    /// <summary>
    /// A job that did not start gives its place in the queue back at once, unless it exists after all (a concurrent
    /// start with the same key, or a lost answer). A slot it took stays until its lease ends (Gate:LeaseDuration): whether
    /// the start failed is not certain (a canceled or timed-out call may still create the orchestration, and a request
    /// that took over the same key holds the same slot), and a slot given back under a live job would let two tasks run
    /// on it. Best effort: the start's own failure is what the caller hears.
    /// </summary>
    public async Task GiveBackAsync(DurableTaskClient client, string jobId, string account, IJobWaker waker)
    {
        try
        {
            if (await client.GetInstanceAsync(jobId, getInputsAndOutputs: false, CancellationToken.None) is null)
            {
                await gates.LeaveQueueAsync(account, jobId, waker, CancellationToken.None);
            }
        }
        catch (Exception ex)
        {
            LogNotGivenBack(log, jobId, ex.GetType().Name);
        }
    }

    /// <summary>
    /// A job queued at the door may have been granted its slot before its orchestration existed, and that wake event had
    /// nowhere to go: now that the orchestration exists, it is woken again (a second wake is harmless). Best effort: the
    /// orchestration's own re-check (Gate:MaxRecheckInterval) finds the grant anyway, so nothing here (not even the
    /// request's cancellation) turns the started job into an error answer.
    /// </summary>
    public async Task WakeIfGrantedMeanwhileAsync(string jobId, string account, IJobWaker waker)
    {
        try
        {
            if (await gates.HolderAsync(account, jobId, CancellationToken.None) is { } holder)
            {
                await waker.WakeAsync([holder], CancellationToken.None);
            }
        }
        catch (Exception ex)
        {
            LogNotWoken(log, jobId, ex.GetType().Name);
        }
    }
}

// Log lines: ids, states and codes only, never a URL or a key.
public sealed partial class DoorAdmission
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the capacity gate could not be reached at the start ({Error}); the job's orchestration asks it")]
    private static partial void LogNotAdmitted(ILogger logger, string jobId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} did not start and its queue place could not be given back ({Error}); its lease will end it")]
    private static partial void LogNotGivenBack(ILogger logger, string jobId, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: could not look for a slot granted while it started ({Error}); its re-check will find it")]
    private static partial void LogNotWoken(ILogger logger, string jobId, string error);
}
