using System.Diagnostics.Metrics;

namespace WanFunctions.Core.Tests.Telemetry;

/// <summary>Captures an instrument's measurements made on the caller's async flow only (tests run in parallel, the meter is static).</summary>
internal static class Measurements
{
    public sealed record Measurement(double Value, IReadOnlyDictionary<string, string?> Tags);

    public static async Task<List<Measurement>> OnThisFlowAsync(Instrument instrument, Func<Task> run)
    {
        var mine = new AsyncLocal<bool>();
        List<Measurement> captured = [];
        using var listener = new MeterListener
        {
            InstrumentPublished = (published, l) =>
            {
                if (published == instrument)
                {
                    l.EnableMeasurementEvents(published);
                }
            },
        };

        void Capture(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (!mine.Value)
            {
                return;
            }

            var named = tags.ToArray().ToDictionary(t => t.Key, t => t.Value?.ToString());
            lock (captured)
            {
                captured.Add(new Measurement(value, named));
            }
        }

        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => Capture(value, tags));
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) => Capture(value, tags));
        listener.Start();
        mine.Value = true;
        await run();
        return captured;
    }
}
