using WanFunctions.Capacity;
using WanFunctions.Workflow;
using static WanFunctions.Core.Tests.Workflow.WorkflowData;

namespace WanFunctions.Core.Tests.Workflow;

/// <summary>The orchestrator's steps around the capacity gate: no needless trips to the gate between two provider tasks.</summary>
public class VideoJobOrchestrationGateTests
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);

    private static VideoJobInput GatedInput() =>
        Input() with { Gate = new GateTicket(GateAccounts.Default, CapacityGate.Normal, AcceptedAt, TimeSpan.FromHours(12)) };

    private static CapacityAnswer Granted(DateTime at) => new(true, at + Lease, at, EffectiveLimit: 5);

    private static CapacityAnswer Queued(DateTime at) =>
        new(false, Position: 1, EstimatedStartAt: at.AddSeconds(60), RetryAt: at.AddSeconds(30), EffectiveLimit: 5);

    private static GateHolder Grant(DateTime at, string jobId = JobId) =>
        new(jobId, CapacityGate.Normal, AcceptedAt, at, at, at + Lease);

    [Fact]
    public async Task The_grants_lease_is_renewed_only_once_half_of_it_has_gone_not_at_the_first_poll()
    {
        // Polls at +45, +60, +82.5, +116.25, +166.875 s (default schedule); the 5-minute lease is half gone at +150 s.
        var context = Context()
            .Answer(WorkflowNames.AcquireCapacity, Granted(StartedAt))
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Running, Running, Running, Running, Running, Succeeded)
            .Always(WorkflowNames.RenewCapacityLease, StartedAt.AddMinutes(10))
            .Always(WorkflowNames.ReleaseCapacity, true)
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, GatedInput());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        var renewal = Assert.Single(context.CallsTo(WorkflowNames.RenewCapacityLease));
        Assert.True(renewal.At >= StartedAt + Lease / 2, $"renewed at {renewal.At:O}, before half of the grant's lease");
        Assert.Single(context.CallsTo(WorkflowNames.ReleaseCapacity));
    }

    [Fact]
    public async Task A_slow_classs_first_look_comes_no_later_than_the_slots_lease_renewal_is_due()
    {
        // The class's whole waits are 400 … 500 s: its first look would be 410 s after the submit, past the 5-minute lease.
        var slow = new PollPlan(PollClass.Of(Job()), 50, Enumerable.Range(0, 51).Select(i => 300 + i * 2.0).ToArray(), 0.1, 0.3,
            TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(18), Enumerable.Range(0, 51).Select(i => 400 + i * 2.0).ToArray());
        var context = Context()
            .Answer(WorkflowNames.AcquireCapacity, Granted(StartedAt))
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.GetPollPlan, slow)
            .Answer(WorkflowNames.CheckVideoTask, Pending, Succeeded)
            .Always(WorkflowNames.RenewCapacityLease, StartedAt.AddMinutes(7.5))
            .Always(WorkflowNames.ReleaseCapacity, true)
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, GatedInput());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(StartedAt + Lease / 2, context.Timers[0]); // the renewal is due half way through the grant's lease
        var renewal = Assert.Single(context.CallsTo(WorkflowNames.RenewCapacityLease));
        Assert.Equal(StartedAt + Lease / 2, renewal.At);
    }

    [Fact]
    public async Task The_submit_names_the_moment_its_grant_spaced_it_to()
    {
        // Spaced 0.4 s after the grant (the account's submit rate): the timer may fire early, so the activity waits for it.
        var spaced = StartedAt.AddMilliseconds(400);
        var context = Context()
            .Answer(WorkflowNames.AcquireCapacity, Granted(StartedAt) with { SubmitAt = spaced })
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Succeeded)
            .Always(WorkflowNames.ReleaseCapacity, true)
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, GatedInput());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Equal(spaced, context.Timers[0]);
        Assert.Equal(spaced, Assert.IsType<SubmitVideoTaskInput>(context.CallsTo(WorkflowNames.SubmitVideoTask).Single().Input).NotBefore);
    }

    private static VideoJobInput AdmittedAtTheDoor(DateTime leaseUntil, DateTime submitAt) =>
        GatedInput() with { Gate = GatedInput().Gate! with { Admission = new CapacityAnswer(true, leaseUntil, submitAt, EffectiveLimit: 5, Account: GateAccounts.Default) } };

    [Fact]
    public async Task A_job_that_took_its_slot_at_the_door_submits_in_its_first_step_without_asking_the_gate()
    {
        var spaced = StartedAt.AddMilliseconds(200);
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Succeeded)
            .Always(WorkflowNames.ReleaseCapacity, true)
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, AdmittedAtTheDoor(StartedAt + Lease, spaced));

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Empty(context.CallsTo(WorkflowNames.AcquireCapacity));
        Assert.DoesNotContain(context.Progress, p => p.Phase == JobPhase.Queued);
        var submit = Assert.IsType<SubmitVideoTaskInput>(Assert.Single(context.CallsTo(WorkflowNames.SubmitVideoTask)).Input);
        Assert.Equal((GateAccounts.Default, spaced), (submit.Account, submit.NotBefore));
        Assert.Single(context.CallsTo(WorkflowNames.ReleaseCapacity));
    }

    [Fact]
    public async Task A_job_queued_at_the_door_shows_its_place_and_waits_for_its_wake_without_asking_the_gate()
    {
        var context = Context()
            .WakeWith(Grant(StartedAt.AddSeconds(4)))
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Succeeded)
            .Always(WorkflowNames.ReleaseCapacity, true)
            .Answer(WorkflowNames.ArchiveVideo, Archived);
        var input = GatedInput() with { Gate = GatedInput().Gate! with { Admission = Queued(StartedAt) with { Position = 7, Account = GateAccounts.Default } } };

        var result = await new VideoJobOrchestration().RunAsync(context.Object, input);

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Empty(context.CallsTo(WorkflowNames.AcquireCapacity));
        Assert.Contains(context.Progress, p => p is { Phase: JobPhase.Queued, QueuePosition: 7 });
        Assert.Single(context.CallsTo(WorkflowNames.SubmitVideoTask));
    }

    [Theory]
    [InlineData(0)]  // the lease ran out: the gate may have given the slot to another job
    [InlineData(60)] // a minute of five left: it could be reclaimed before the first renewal
    public async Task A_door_grant_with_less_than_half_its_lease_left_when_the_orchestration_starts_is_not_used(int secondsLeft)
    {
        // The engine was backlogged: the job asks the gate, which renews a slot it still holds.
        var context = Context()
            .Answer(WorkflowNames.AcquireCapacity, Granted(StartedAt))
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Succeeded)
            .Always(WorkflowNames.ReleaseCapacity, true)
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        // Posted (and granted) a whole lease before its end, which is secondsLeft from now.
        var admitted = AdmittedAtTheDoor(StartedAt.AddSeconds(secondsLeft), StartedAt - Lease);
        var input = admitted with { Gate = admitted.Gate! with { QueuedSince = StartedAt.AddSeconds(secondsLeft) - Lease } };

        var result = await new VideoJobOrchestration().RunAsync(context.Object, input);

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Single(context.CallsTo(WorkflowNames.AcquireCapacity));
    }

    [Fact]
    public async Task A_door_grant_serves_one_submit_only_after_a_429_the_job_asks_the_gate()
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, new SubmitOutcome(null, Throttled: true, Account: GateAccounts.Default), Submitted)
            .Answer(WorkflowNames.ReportThrottled, Queued(StartedAt))
            .Answer(WorkflowNames.AcquireCapacity, Granted(StartedAt))
            .Answer(WorkflowNames.CheckVideoTask, Succeeded)
            .Always(WorkflowNames.ReleaseCapacity, true)
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, AdmittedAtTheDoor(StartedAt + Lease, StartedAt));

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Single(context.CallsTo(WorkflowNames.AcquireCapacity));
        Assert.Equal(2, context.CallsTo(WorkflowNames.SubmitVideoTask).Count());
    }

    [Fact]
    public async Task A_job_woken_with_its_grant_submits_without_asking_the_gate_again()
    {
        var context = Context()
            .Answer(WorkflowNames.AcquireCapacity, Queued(StartedAt))
            .WakeWith(Grant(StartedAt.AddSeconds(1)))
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Succeeded)
            .Always(WorkflowNames.ReleaseCapacity, true)
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, GatedInput());

        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        Assert.Single(context.CallsTo(WorkflowNames.AcquireCapacity));
        Assert.Single(context.CallsTo(WorkflowNames.SubmitVideoTask));
        Assert.Contains(context.Progress, p => p.Phase == JobPhase.Queued);
    }

    [Theory]
    [InlineData("older than the job's last look", -1, JobId)]
    [InlineData("another job's", 1, "job-2")]
    [InlineData("none (a wake without payload)", 0, null)]
    public async Task A_wake_whose_grant_cannot_be_trusted_makes_the_job_ask_the_gate_again(string what, int grantedSecondsAfterAsking, string? jobId)
    {
        var context = Context()
            .Answer(WorkflowNames.AcquireCapacity, Queued(StartedAt), Granted(StartedAt.AddSeconds(30)))
            .WakeWith(jobId is null ? null : Grant(StartedAt.AddSeconds(grantedSecondsAfterAsking), jobId))
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Succeeded)
            .Always(WorkflowNames.ReleaseCapacity, true)
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        var result = await new VideoJobOrchestration().RunAsync(context.Object, GatedInput());

        Assert.True(JobOutcome.Succeeded == result.Outcome, what);
        Assert.Equal(2, context.CallsTo(WorkflowNames.AcquireCapacity).Count());
        Assert.Single(context.CallsTo(WorkflowNames.SubmitVideoTask));
    }

    [Fact]
    public void A_grant_counts_only_for_its_job_made_since_the_job_last_asked_and_while_its_lease_runs()
    {
        var asked = StartedAt;
        Assert.True(CapacityStep.IsFreshGrant(Grant(asked), JobId, asked, asked.AddSeconds(1)));
        Assert.False(CapacityStep.IsFreshGrant(null, JobId, asked, asked));
        Assert.False(CapacityStep.IsFreshGrant(Grant(asked.AddTicks(-1)), JobId, asked, asked));
        Assert.False(CapacityStep.IsFreshGrant(Grant(asked, "job-2"), JobId, asked, asked));
        Assert.False(CapacityStep.IsFreshGrant(Grant(asked), JobId, asked, asked + Lease));
    }

    [Fact]
    public async Task The_slot_is_released_in_the_same_step_as_the_archive_starts_not_before_it()
    {
        var release = new TaskCompletionSource<bool>();
        var context = Context()
            .Answer(WorkflowNames.AcquireCapacity, Granted(StartedAt))
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Succeeded)
            .Answer(WorkflowNames.ReleaseCapacity, release.Task)
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        var run = new VideoJobOrchestration().RunAsync(context.Object, GatedInput());

        // The release has not answered yet, and the archive is already under way.
        Assert.Single(context.CallsTo(WorkflowNames.ArchiveVideo));
        Assert.False(run.IsCompleted);
        release.SetResult(true);
        Assert.Equal(JobOutcome.Succeeded, (await run).Outcome);
        Assert.Single(context.CallsTo(WorkflowNames.ReleaseCapacity));
    }

    [Fact]
    public async Task Behind_the_gate_each_query_names_the_slot_the_activity_gives_back_when_it_finds_the_task_final()
    {
        var context = Context()
            .Answer(WorkflowNames.AcquireCapacity, Granted(StartedAt))
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Running, Succeeded)
            .Always(WorkflowNames.ReleaseCapacity, true)
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        Assert.Equal(JobOutcome.Succeeded, (await new VideoJobOrchestration().RunAsync(context.Object, GatedInput())).Outcome);

        var slot = new CapacityRequest(GateAccounts.Default, JobId, CapacityGate.Normal, AcceptedAt);
        var checks = context.CallsTo(WorkflowNames.CheckVideoTask).Select(c => Assert.IsType<ProviderTaskRef>(c.Input)).ToList();
        Assert.Equal(2, checks.Count);
        Assert.All(checks, task => Assert.Equal(slot, task.ReleaseWhenFinal));
        // The job's own release still follows (a no-op when the query gave the slot back).
        Assert.Equal(slot, Assert.Single(context.CallsTo(WorkflowNames.ReleaseCapacity)).Input);
    }

    [Fact]
    public async Task Without_the_gate_the_query_names_no_slot()
    {
        var context = Context()
            .Answer(WorkflowNames.SubmitVideoTask, Submitted)
            .Answer(WorkflowNames.CheckVideoTask, Succeeded)
            .Answer(WorkflowNames.ArchiveVideo, Archived);

        await new VideoJobOrchestration().RunAsync(context.Object, Input());

        Assert.Null(Assert.IsType<ProviderTaskRef>(Assert.Single(context.CallsTo(WorkflowNames.CheckVideoTask)).Input).ReleaseWhenFinal);
    }
}
