using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace DashScope.Simulator;

/// <summary>
/// The result file. By default a real MP4 of the task's size, duration and audio flag with its prompt written on it
/// (<see cref="TestPatternVideo"/>), generated once per task and kept while the task is. With
/// <see cref="SimulatorOptions.VideoSizeBytes"/> set (benchmarks of the archive), the embedded 1 s 64x64 H.264 MP4
/// (faststart) padded to exactly that size with one trailing top-level <c>free</c> box, which players skip, so the
/// file stays valid. Padding is generated while streaming, never buffered.
/// </summary>
public sealed class VideoContent(SimulatorOptions options)
{
    private readonly ConditionalWeakTable<SimTask, byte[]> generated = new();

    private const string ResourceName = "DashScope.Simulator.Resources.sample.mp4";
    private const int ChunkSize = 64 * 1024;
    private static readonly byte[] Zeros = new byte[ChunkSize];

    private static readonly Lazy<byte[]> BaseBytes = new(() =>
    {
        using var stream = typeof(VideoContent).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded resource {ResourceName} is missing.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    /// <summary>The embedded clip, unpadded.</summary>
    public static ReadOnlyMemory<byte> BaseVideo => BaseBytes.Value;

    /// <summary>Smallest padded size: the clip plus an empty 8-byte free box.</summary>
    public static long MinimumPaddedSize => BaseBytes.Value.Length + 8;

    /// <summary>The task's file length in bytes.</summary>
    public long LengthFor(SimTask task) => options.VideoSizeBytes == 0 ? Generated(task).Length : options.VideoSizeBytes;

    /// <summary>Writes the first <paramref name="limit"/> bytes of the task's file (all of it when limit ≥ length).</summary>
    public Task WriteAsync(Stream destination, SimTask task, long limit, CancellationToken ct)
    {
        if (options.VideoSizeBytes != 0)
        {
            return WriteAsync(destination, task.Id, limit, ct);
        }

        var file = Generated(task);
        return destination.WriteAsync(file.AsMemory(0, (int)Math.Min(limit, file.Length)), ct).AsTask();
    }

    /// <summary>Length of the embedded clip's file for a task id (padded when VideoSizeBytes is set).</summary>
    public long LengthFor(string taskId) => options.VideoSizeBytes == 0 ? BaseBytes.Value.Length : options.VideoSizeBytes;

    /// <summary>Writes the first <paramref name="limit"/> bytes of the embedded clip's file (padded when VideoSizeBytes is set).</summary>
    public async Task WriteAsync(Stream destination, string taskId, long limit, CancellationToken ct)
    {
        var total = LengthFor(taskId);
        limit = Math.Min(limit, total);
        var prefix = BuildPrefix(taskId, total);
        var fromPrefix = (int)Math.Min(limit, prefix.Length);
        await destination.WriteAsync(prefix.AsMemory(0, fromPrefix), ct);
        for (var remaining = limit - fromPrefix; remaining > 0; remaining -= ChunkSize)
        {
            await destination.WriteAsync(Zeros.AsMemory(0, (int)Math.Min(ChunkSize, remaining)), ct);
        }
    }

    private byte[] Generated(SimTask task) => generated.GetValue(task, t =>
    {
        var (width, height) = TestPatternVideo.ParseSize(t.Size);
        return TestPatternVideo.Create(width, height, t.Duration, t.Audio, t.Prompt);
    });

    /// <summary>Clip + free-box header + the task id (so tasks' files differ but each is stable); zeros follow.</summary>
    private static byte[] BuildPrefix(string taskId, long total)
    {
        var clip = BaseBytes.Value;
        var padding = total - clip.Length;
        if (padding <= 0)
        {
            return clip;
        }

        // A box size must fit 32 bits, otherwise size=1 and a 64-bit "largesize" follows the type.
        var large = padding > uint.MaxValue;
        var header = new byte[large ? 16 : 8];
        BinaryPrimitives.WriteUInt32BigEndian(header, large ? 1u : (uint)padding);
        "free"u8.CopyTo(header.AsSpan(4));
        if (large)
        {
            BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(8), (ulong)padding);
        }

        var id = Encoding.ASCII.GetBytes(taskId);
        var idBytes = (int)Math.Min(id.Length, padding - header.Length);
        var prefix = new byte[clip.Length + header.Length + idBytes];
        clip.CopyTo(prefix, 0);
        header.CopyTo(prefix, clip.Length);
        id.AsSpan(0, idBytes).CopyTo(prefix.AsSpan(clip.Length + header.Length));
        return prefix;
    }
}
