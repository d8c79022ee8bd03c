using System.Buffers.Binary;
using System.Text;

namespace DashScope.Simulator.Tests;

/// <summary>
/// A small ISO BMFF (MP4) reader for tests: the movie's duration and each track's handler, sample entry,
/// dimensions, duration and sample count, read from the boxes (ISO/IEC 14496-12), version 0 headers only.
/// </summary>
public sealed record Mp4Info(uint Timescale, ulong Duration, IReadOnlyList<Mp4Track> Tracks)
{
    public double Seconds => (double)Duration / Timescale;

    public Mp4Track? Track(string handler) => Tracks.SingleOrDefault(t => t.Handler == handler);

    public static Mp4Info Read(byte[] file)
    {
        var moov = Children(file, 0, file.Length).Single(b => b.Type == "moov");
        var mvhd = Child(file, moov, "mvhd");
        var tracks = new List<Mp4Track>();
        foreach (var trak in Children(file, moov.Start, moov.End).Where(b => b.Type == "trak"))
        {
            var tkhd = Child(file, trak, "tkhd");
            var mdia = Child(file, trak, "mdia");
            var mdhd = Child(file, mdia, "mdhd");
            var hdlr = Child(file, mdia, "hdlr");
            var stbl = Child(file, Child(file, mdia, "minf"), "stbl");
            var stsd = Child(file, stbl, "stsd");
            var stsz = Child(file, stbl, "stsz");
            tracks.Add(new Mp4Track(
                Handler: Encoding.ASCII.GetString(file, hdlr.Start + 8, 4),
                SampleEntry: Encoding.ASCII.GetString(file, stsd.Start + 12, 4),
                Width: U32(file, tkhd.Start + 76) >> 16,
                Height: U32(file, tkhd.Start + 80) >> 16,
                Timescale: U32(file, mdhd.Start + 12),
                Duration: U32(file, mdhd.Start + 16),
                SampleCount: U32(file, stsz.Start + 8)));
        }

        return new Mp4Info(U32(file, mvhd.Start + 12), U32(file, mvhd.Start + 16), tracks);
    }

    private readonly record struct Box(string Type, int Start, int End);

    private static Box Child(byte[] file, Box parent, string type) =>
        Children(file, parent.Start, parent.End).FirstOrDefault(b => b.Type == type) is { Type: not null } box
            ? box
            : throw new InvalidDataException($"No {type} box in {parent.Type}.");

    /// <summary>The boxes between start and end; Start and End bound each one's content (after its header).</summary>
    private static IEnumerable<Box> Children(byte[] file, int start, int end)
    {
        for (var offset = start; offset < end;)
        {
            long size = U32(file, offset);
            var header = 8;
            if (size == 1)
            {
                size = (long)BinaryPrimitives.ReadUInt64BigEndian(file.AsSpan(offset + 8));
                header = 16;
            }

            if (size < header || offset + size > end)
            {
                throw new InvalidDataException($"Box at {offset} has size {size}, outside its parent.");
            }

            yield return new Box(Encoding.ASCII.GetString(file, offset + 4, 4), offset + header, (int)(offset + size));
            offset += (int)size;
        }
    }

    private static uint U32(byte[] file, int offset) => BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(offset));
}

/// <summary>One track: handler type (vide, soun), sample entry (avc1, mp4a), tkhd size in pixels, mdhd duration.</summary>
public sealed record Mp4Track(string Handler, string SampleEntry, uint Width, uint Height, uint Timescale, ulong Duration, uint SampleCount)
{
    public double Seconds => (double)Duration / Timescale;
}
