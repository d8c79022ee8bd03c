using System.Diagnostics;

namespace WanFunctions.Bench;

/// <summary>
/// Measures one operation: wall time, bytes allocated by the whole process (all threads, the in-process simulator
/// included), peak managed heap and peak working set (sampled every 10 ms on a thread of its own), GC counts.
/// The sampler's own allocations are subtracted.
/// </summary>
public sealed class MemoryProbe
{
    private readonly Thread sampler;
    private readonly long allocatedBefore;
    private readonly long heapBefore;
    private readonly long workingSetBefore;
    private readonly int[] collectionsBefore;
    private readonly long start;
    private volatile bool stopping;
    private long maxHeap;
    private long maxWorkingSet;
    private long samplerAllocated;

    private MemoryProbe()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using (var process = Process.GetCurrentProcess())
        {
            workingSetBefore = process.WorkingSet64;
        }

        heapBefore = GC.GetTotalMemory(false);
        maxHeap = heapBefore;
        maxWorkingSet = workingSetBefore;
        collectionsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        sampler = new Thread(Sample) { IsBackground = true, Name = "memory-probe" };
        allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        sampler.Start();
        start = Stopwatch.GetTimestamp();
    }

    public static MemoryProbe Start() => new();

    private void Sample()
    {
        var own = GC.GetAllocatedBytesForCurrentThread();
        using var process = Process.GetCurrentProcess();
        while (true)
        {
            process.Refresh();
            maxWorkingSet = Math.Max(maxWorkingSet, process.WorkingSet64);
            maxHeap = Math.Max(maxHeap, GC.GetTotalMemory(false));
            if (stopping)
            {
                break;
            }

            Thread.Sleep(10);
        }

        samplerAllocated = GC.GetAllocatedBytesForCurrentThread() - own;
    }

    public Measurement Stop()
    {
        var elapsed = Stopwatch.GetElapsedTime(start);
        var allocatedAfter = GC.GetTotalAllocatedBytes(precise: true);
        stopping = true;
        sampler.Join();
        return new Measurement(
            elapsed,
            allocatedAfter - allocatedBefore - samplerAllocated,
            maxHeap - heapBefore,
            maxWorkingSet - workingSetBefore,
            GC.CollectionCount(0) - collectionsBefore[0],
            GC.CollectionCount(1) - collectionsBefore[1],
            GC.CollectionCount(2) - collectionsBefore[2]);
    }
}

public sealed record Measurement(TimeSpan Elapsed, long Allocated, long HeapGrowth, long WorkingSetGrowth, int Gen0, int Gen1, int Gen2);
