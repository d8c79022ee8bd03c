using System.Diagnostics;
using System.Net;
using DashScope.Simulator;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using WanFunctions.Telemetry;
using Xunit.Abstractions;

namespace WanFunctions.IntegrationTests;

/// <summary>One full job on the real engine, captured by the in-memory OpenTelemetry exporter in the local host.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class TelemetryTests(AzuriteFixture azurite, ITestOutputHelper output)
{
    [Fact]
    public async Task One_job_is_one_trace_from_the_post_through_submit_every_poll_and_archive_and_it_is_counted()
    {
        List<Activity> spans = [];
        List<MetricSnapshot> metrics = [];
        await using var world = await WorkflowHarness.StartAsync(azurite,
            new SimulatorOptions { PendingSeconds = 1, RunningSeconds = 2 },
            configureServices: services => services
                .ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans))
                .ConfigureOpenTelemetryMeterProvider(meters => meters.AddInMemoryExporter(metrics)));

        var (response, accepted) = await world.PostJobAsync(new
        {
            prompt = "character1 waves at the camera",
            references = new object[] { new { url = "https://example.com/people/alice.mp4" } },
            size = "1280*720",
            duration = 5,
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (string)accepted["id"]!;
        var done = await world.WaitForFinishAsync(id);
        Assert.Equal("Succeeded", (string)done["status"]!);
        var taskId = (string)done["result"]!["taskId"]!;
        var polls = (int)done["result"]!["timings"]!["polls"]!;
        Assert.True(polls >= 2, $"expected several polls, saw {polls}");

        world.Host.Services.GetRequiredService<TracerProvider>().ForceFlush();
        world.Host.Services.GetRequiredService<MeterProvider>().ForceFlush();
        List<Activity> captured;
        lock (spans)
        {
            captured = [.. spans];
        }

        foreach (var span in captured.OrderBy(s => s.StartTimeUtc))
        {
            output.WriteLine($"{span.StartTimeUtc:HH:mm:ss.fff} {span.Source.Name,-22} {span.DisplayName,-50} trace={span.TraceId} span={span.SpanId} parent={span.ParentSpanId} "
                + string.Join(' ', span.TagObjects.Where(t => t.Key.StartsWith("wan.", StringComparison.Ordinal) || t.Key.StartsWith("durabletask", StringComparison.Ordinal)).Select(t => $"{t.Key}={t.Value}")));
        }

        // The POST's server span is the job's root.
        var post = Assert.Single(captured, s => s.Kind == ActivityKind.Server && s.DisplayName == "POST /api/videos");
        var trace = captured.Where(s => s.TraceId == post.TraceId).ToList();
        var ours = trace.Where(s => s.Source.Name == WorkflowTelemetry.Name).ToList();

        // Submit, every poll, archive: in the POST's trace, each once (nothing twice on replay), with the job's ids.
        var submit = Assert.Single(ours, s => s.DisplayName == "wan.submit");
        Assert.Equal(id, submit.GetTagItem(WorkflowTelemetry.Tags.JobId));
        Assert.Equal(taskId, submit.GetTagItem(WorkflowTelemetry.Tags.TaskId));
        Assert.Equal("wan2.6-r2v-flash", submit.GetTagItem(WorkflowTelemetry.Tags.Model));
        var checks = ours.Where(s => s.DisplayName == "wan.check").ToList();
        Assert.Equal(polls, checks.Count);
        Assert.All(checks, check =>
        {
            Assert.Equal(id, check.GetTagItem(WorkflowTelemetry.Tags.JobId));
            Assert.Equal(taskId, check.GetTagItem(WorkflowTelemetry.Tags.TaskId));
        });
        Assert.Equal("SUCCEEDED", checks.MaxBy(s => s.StartTimeUtc)!.GetTagItem(WorkflowTelemetry.Tags.ProviderState));
        var archive = Assert.Single(ours, s => s.DisplayName == "wan.archive");
        Assert.Equal(taskId, archive.GetTagItem(WorkflowTelemetry.Tags.TaskId));
        Assert.True((long)archive.GetTagItem(WorkflowTelemetry.Tags.Bytes)! > 0);
        Assert.DoesNotContain(captured, s => s.Source.Name == WorkflowTelemetry.Name && s.TraceId != post.TraceId
            && Equals(s.GetTagItem(WorkflowTelemetry.Tags.JobId), id));

        // A tree: every span of the trace hangs, parent by parent, from the POST.
        var byId = trace.ToDictionary(s => s.SpanId);
        Assert.All(trace, span =>
        {
            var at = span;
            for (var depth = 0; at != post; depth++)
            {
                Assert.True(depth < 20 && byId.TryGetValue(at.ParentSpanId, out at!), $"{span.DisplayName} does not hang from the POST");
            }
        });

        // No secret in any attribute: no key, no signed URL.
        Assert.All(captured.SelectMany(s => s.TagObjects), tag =>
        {
            var text = tag.Value?.ToString() ?? string.Empty;
            Assert.DoesNotContain(world.Simulator.ApiKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain("Signature=", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("sig=", text, StringComparison.Ordinal);
        });

        // The counters: this job once by outcome, the provider calls by operation.
        Assert.Equal(1, Sum(metrics, "wan.jobs", ("wan.job.outcome", "Succeeded")));
        Assert.Equal(1, Sum(metrics, "wan.provider.calls", ("wan.provider.operation", "submit")));
        Assert.Equal(polls + 1, Sum(metrics, "wan.provider.calls", ("wan.provider.operation", "query"))); // + the archive's look-up
        Assert.True(Sum(metrics, "wan.archive.bytes") > 0);
    }

    /// <summary>The latest cumulative value of a counter, over the points whose tags match.</summary>
    private static double Sum(List<MetricSnapshot> metrics, string name, params (string Key, string Value)[] tags)
    {
        MetricSnapshot? last;
        lock (metrics)
        {
            last = metrics.LastOrDefault(m => m.Name == name);
        }

        if (last is null)
        {
            return 0;
        }

        double total = 0;
        foreach (var point in last.MetricPoints)
        {
            var pointTags = new Dictionary<string, object?>();
            foreach (var tag in point.Tags)
            {
                pointTags[tag.Key] = tag.Value;
            }

            if (tags.All(t => Equals(pointTags.GetValueOrDefault(t.Key)?.ToString(), t.Value)))
            {
                total += last.MetricType == MetricType.LongSum ? point.GetSumLong() : point.GetSumDouble();
            }
        }

        return total;
    }
}
