using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace DashScope.Simulator;

/// <summary>
/// A real MP4 of a task's size and duration, generated in pure C# (no ffmpeg): a mid-grey 30 fps H.264 Constrained
/// Baseline stream whose first (IDR) frame shows a line with the size and duration and then the prompt
/// in white (printable ASCII; anything else becomes '?'), followed by all-skip P frames that repeat it; with
/// <c>audio</c>, a silent AAC-LC track (48 kHz mono). Faststart layout: ftyp, moov, then one mdat.
/// <para>
/// The IDR frame is cheap: macroblocks holding text are I_PCM (raw pixels), the others Intra16x16 DC prediction
/// with no residual (8 bits each), so a 720p clip with a short prompt takes about 15 KB.
/// </para>
/// </summary>
public static class TestPatternVideo
{
    /// <summary>Frames per second of the video track; Wan outputs 30 fps (provider docs).</summary>
    public const int FramesPerSecond = 30;

    /// <summary>Sample rate of the audio track, in Hz.</summary>
    public const int AudioSampleRate = 48_000;

    private const int VideoTimescale = FramesPerSecond * 512;
    private const int AudioFrameSamples = 1024;
    private const int Scale = 2;
    private const int CellWidth = 6 * Scale;
    private const int LineHeight = 16;
    private const byte Background = 128;
    private const byte Ink = 235;
    private const int MaxTextLines = 24;

    // One raw_data_block of AAC-LC mono: a single_channel_element with max_sfb = 0 (all spectra zero), then END.
    private static readonly byte[] SilentAacFrame = [0x01, 0x40, 0x20, 0x07];

    // AudioSpecificConfig: object type 2 (AAC-LC), sampling index 3 (48 kHz), channel configuration 1 (mono).
    private static readonly byte[] AudioSpecificConfig = [0x11, 0x88];

    /// <summary>
    /// Builds the file. <paramref name="width"/> and <paramref name="height"/> in pixels (even, 16–4096),
    /// <paramref name="durationSeconds"/> 1–60. Throws <see cref="ArgumentOutOfRangeException"/> otherwise.
    /// </summary>
    public static byte[] Create(int width, int height, int durationSeconds, bool audio, string prompt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 16);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, 4096);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 16);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(height, 4096);
        ArgumentOutOfRangeException.ThrowIfLessThan(durationSeconds, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(durationSeconds, 60);
        if (width % 2 != 0 || height % 2 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(width), "Width and height must be even (4:2:0).");
        }

        // Short: every macroblock with text costs 384 bytes.
        var header = $"{width}x{height} {durationSeconds}s";
        var h264 = new H264Stream(width, height, Text(header, prompt, (width - 2 * LineHeight) / CellWidth, (height / LineHeight) - 2));
        var frames = durationSeconds * FramesPerSecond;
        var videoSamples = new byte[frames][];
        videoSamples[0] = h264.IdrFrame();
        for (var i = 1; i < frames; i++)
        {
            videoSamples[i] = h264.SkipFrame(i);
        }

        var audioFrames = audio ? (int)Math.Ceiling((double)durationSeconds * AudioSampleRate / AudioFrameSamples) : 0;
        return Mux(width, height, h264, videoSamples, audioFrames);
    }

    /// <summary>Parses a DashScope size ("1280*720") into pixels.</summary>
    public static (int Width, int Height) ParseSize(string size)
    {
        var parts = size.Split('*');
        return parts.Length == 2 && int.TryParse(parts[0], out var w) && int.TryParse(parts[1], out var h)
            ? (w, h)
            : throw new ArgumentException($"Size '{size}' is not of the form W*H.", nameof(size));
    }

    /// <summary>The lines drawn: the header, a blank line, then the prompt wrapped at <paramref name="columns"/>.</summary>
    private static List<string> Text(string header, string prompt, int columns, int maxLines)
    {
        columns = Math.Max(columns, 1);
        var ascii = new StringBuilder();
        foreach (var rune in prompt.EnumerateRunes())
        {
            ascii.Append(rune.Value is >= 0x20 and < 0x7F ? (char)rune.Value : rune.Value is '\n' or '\t' ? ' ' : '?');
        }

        var lines = new List<string> { header, "" };
        var text = ascii.ToString();
        while (text.Length > 0)
        {
            var take = Math.Min(columns, text.Length);
            var space = take < text.Length ? text.LastIndexOf(' ', take - 1, take) : -1;
            if (space > 0)
            {
                take = space + 1;
            }

            lines.Add(text[..take].TrimEnd());
            text = text[take..];
        }

        return [.. lines.Take(Math.Clamp(maxLines, 1, MaxTextLines)).Select(l => l.Length > columns ? l[..columns] : l)];
    }

    private static byte[] Mux(int width, int height, H264Stream h264, byte[][] video, int audioFrames)
    {
        var ftyp = new Mp4Writer();
        ftyp.Begin("ftyp").Ascii("isom").U32(512).Ascii("isom").Ascii("iso2").Ascii("avc1").Ascii("mp41").End();

        // Offsets in stco depend on moov's size, which does not depend on their values: build it, then again.
        var moov = Moov(width, height, h264, video, audioFrames, 0);
        var mdatStart = ftyp.Length + moov.Length;
        var videoBytes = video.Sum(s => (long)s.Length);
        moov = Moov(width, height, h264, video, audioFrames, mdatStart + 8);

        var file = new Mp4Writer();
        file.Raw(ftyp.ToArray()).Raw(moov);
        file.U32((uint)(8 + videoBytes + (audioFrames * SilentAacFrame.Length))).Ascii("mdat");
        foreach (var sample in video)
        {
            file.Raw(sample);
        }

        for (var i = 0; i < audioFrames; i++)
        {
            file.Raw(SilentAacFrame);
        }

        return file.ToArray();
    }

    private static byte[] Moov(int width, int height, H264Stream h264, byte[][] video, int audioFrames, long videoOffset)
    {
        var frames = video.Length;
        var durationMs = (long)frames * 1000 / FramesPerSecond;
        var m = new Mp4Writer();
        m.Begin("moov");
        m.Begin("mvhd").U32(0).U32(0).U32(0).U32(1000).U32((uint)durationMs).U32(0x00010000).U16(0x0100).Zeros(10)
            .Matrix().Zeros(24).U32(audioFrames > 0 ? 3u : 2u).End();

        // Video track.
        m.Begin("trak");
        TrackHeader(m, 1, durationMs, 0, width, height);
        m.Begin("mdia");
        MediaHeader(m, VideoTimescale, (long)frames * 512);
        Handler(m, "vide", "VideoHandler");
        m.Begin("minf");
        m.Begin("vmhd").U32(1).Zeros(8).End();
        DataInformation(m);
        m.Begin("stbl");
        m.Begin("stsd").U32(0).U32(1);
        m.Begin("avc1").Zeros(6).U16(1).Zeros(16).U16((ushort)width).U16((ushort)height).U32(0x00480000).U32(0x00480000)
            .U32(0).U16(1).Zeros(32).U16(0x0018).U16(0xFFFF);
        m.Begin("avcC").U8(1).U8(66).U8(0xC0).U8(H264Stream.LevelIdc).U8(0xFF)
            .U8(0xE1).U16((ushort)h264.Sps.Length).Raw(h264.Sps).U8(1).U16((ushort)h264.Pps.Length).Raw(h264.Pps).End();
        m.End().End();
        m.Begin("stts").U32(0).U32(1).U32((uint)frames).U32(512).End();
        m.Begin("stss").U32(0).U32(1).U32(1).End();
        m.Begin("stsc").U32(0).U32(1).U32(1).U32((uint)frames).U32(1).End();
        m.Begin("stsz").U32(0).U32(0).U32((uint)frames);
        foreach (var sample in video)
        {
            m.U32((uint)sample.Length);
        }

        m.End();
        m.Begin("stco").U32(0).U32(1).U32((uint)videoOffset).End();
        m.End().End().End().End();

        if (audioFrames > 0)
        {
            var audioOffset = videoOffset + video.Sum(s => (long)s.Length);
            m.Begin("trak");
            TrackHeader(m, 2, (long)audioFrames * AudioFrameSamples * 1000 / AudioSampleRate, 0x0100, 0, 0);
            m.Begin("mdia");
            MediaHeader(m, AudioSampleRate, (long)audioFrames * AudioFrameSamples);
            Handler(m, "soun", "SoundHandler");
            m.Begin("minf");
            m.Begin("smhd").U32(0).U32(0).End();
            DataInformation(m);
            m.Begin("stbl");
            m.Begin("stsd").U32(0).U32(1);
            m.Begin("mp4a").Zeros(6).U16(1).Zeros(8).U16(1).U16(16).U32(0).U32((uint)AudioSampleRate << 16);
            m.Begin("esds").U32(0)
                .U8(0x03).U8(23 + (byte)AudioSpecificConfig.Length).U16(0).U8(0) // ES_Descriptor: ES_ID 0, no flags
                .U8(0x04).U8(15 + (byte)AudioSpecificConfig.Length).U8(0x40).U8(0x15) // DecoderConfig: MPEG-4 audio, AudioStream
                .U8(0).U16(SilentAacFrame.Length).U32(0).U32(0)
                .U8(0x05).U8((byte)AudioSpecificConfig.Length).Raw(AudioSpecificConfig)
                .U8(0x06).U8(1).U8(0x02).End(); // SLConfig: predefined MP4
            m.End().End();
            m.Begin("stts").U32(0).U32(1).U32((uint)audioFrames).U32(AudioFrameSamples).End();
            m.Begin("stsc").U32(0).U32(1).U32(1).U32((uint)audioFrames).U32(1).End();
            m.Begin("stsz").U32(0).U32((uint)SilentAacFrame.Length).U32((uint)audioFrames).End();
            m.Begin("stco").U32(0).U32(1).U32((uint)audioOffset).End();
            m.End().End().End().End();
        }

        return m.End().ToArray();
    }

    private static void TrackHeader(Mp4Writer m, uint trackId, long durationMs, ushort volume, int width, int height) =>
        m.Begin("tkhd").U32(3).U32(0).U32(0).U32(trackId).U32(0).U32((uint)durationMs).Zeros(8).U16(0).U16(0).U16(volume).U16(0)
            .Matrix().U32((uint)width << 16).U32((uint)height << 16).End();

    private static void MediaHeader(Mp4Writer m, int timescale, long duration) =>
        m.Begin("mdhd").U32(0).U32(0).U32(0).U32((uint)timescale).U32((uint)duration).U16(0x55C4).U16(0).End(); // language "und"

    private static void Handler(Mp4Writer m, string type, string name) =>
        m.Begin("hdlr").U32(0).U32(0).Ascii(type).Zeros(12).Ascii(name).U8(0).End();

    private static void DataInformation(Mp4Writer m) =>
        m.Begin("dinf").Begin("dref").U32(0).U32(1).Begin("url ").U32(1).End().End().End();

    /// <summary>Big-endian box writer; <see cref="Begin"/>/<see cref="End"/> nest and fill in box sizes.</summary>
    private sealed class Mp4Writer
    {
        private readonly List<byte> buffer = [];
        private readonly Stack<int> open = new();

        public long Length => buffer.Count;

        public Mp4Writer Begin(string type)
        {
            open.Push(buffer.Count);
            return U32(0).Ascii(type);
        }

        public Mp4Writer End()
        {
            var start = open.Pop();
            BinaryPrimitives.WriteUInt32BigEndian(CollectionsMarshal.AsSpan(buffer)[start..], (uint)(buffer.Count - start));
            return this;
        }

        public Mp4Writer U8(int value)
        {
            buffer.Add((byte)value);
            return this;
        }

        public Mp4Writer U16(int value)
        {
            Span<byte> bytes = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)value);
            buffer.AddRange(bytes);
            return this;
        }

        public Mp4Writer U32(uint value)
        {
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
            buffer.AddRange(bytes);
            return this;
        }

        public Mp4Writer Ascii(string text) => Raw(Encoding.ASCII.GetBytes(text));

        public Mp4Writer Zeros(int count) => Raw(new byte[count]);

        /// <summary>The identity transformation matrix of mvhd and tkhd.</summary>
        public Mp4Writer Matrix() => U32(0x00010000).U32(0).U32(0).U32(0).U32(0x00010000).U32(0).U32(0).U32(0).U32(0x40000000);

        public Mp4Writer Raw(byte[] bytes)
        {
            buffer.AddRange(bytes);
            return this;
        }

        public byte[] ToArray() => [.. buffer];
    }

    /// <summary>
    /// The H.264 bitstream (ITU-T H.264, Constrained Baseline, CAVLC): parameter sets, one IDR picture and all-skip
    /// P pictures, each picture one slice, NAL units length-prefixed (4 bytes) for MP4.
    /// </summary>
    private sealed class H264Stream
    {
        public const byte LevelIdc = 40;
        private const int Log2MaxFrameNum = 4;

        private readonly int widthMbs;
        private readonly int heightMbs;
        private readonly byte[] luma;
        private readonly bool[] pcm;

        public H264Stream(int width, int height, List<string> lines)
        {
            widthMbs = (width + 15) / 16;
            heightMbs = (height + 15) / 16;
            luma = new byte[widthMbs * 16 * heightMbs * 16];
            pcm = new bool[widthMbs * heightMbs];
            Array.Fill(luma, Background);
            Draw(lines);
            Sps = Nal(0x67, SequenceParameterSet(width, height))[4..];
            Pps = Nal(0x68, PictureParameterSet())[4..];
        }

        /// <summary>The sequence parameter set NAL unit, without a length prefix (for avcC).</summary>
        public byte[] Sps { get; }

        /// <summary>The picture parameter set NAL unit, without a length prefix (for avcC).</summary>
        public byte[] Pps { get; }

        public byte[] IdrFrame()
        {
            var bits = new BitWriter();
            bits.Ue(0).Ue(7).Ue(0).Bits(0, Log2MaxFrameNum).Ue(0); // first_mb, slice_type I, pps, frame_num, idr_pic_id
            bits.Bits(0, 1).Bits(0, 1); // no_output_of_prior_pics, long_term_reference
            bits.Se(0).Ue(1); // slice_qp_delta, deblocking off
            for (var mb = 0; mb < pcm.Length; mb++)
            {
                if (pcm[mb])
                {
                    bits.Ue(25).AlignZero(); // I_PCM: raw 4:2:0 samples follow, byte-aligned
                    var (x0, y0) = (mb % widthMbs * 16, mb / widthMbs * 16);
                    for (var y = 0; y < 16; y++)
                    {
                        for (var x = 0; x < 16; x++)
                        {
                            bits.Byte(luma[((y0 + y) * widthMbs * 16) + x0 + x]);
                        }
                    }

                    for (var i = 0; i < 128; i++)
                    {
                        bits.Byte(128); // Cb then Cr: no colour
                    }
                }
                else
                {
                    // I_16x16_2_0_0 (DC prediction, no coded block), chroma DC prediction, qp delta 0, and the
                    // luma DC block's coeff_token for no coefficients, whose table depends on the neighbours (nC).
                    bits.Ue(3).Ue(0).Se(0);
                    var nC = NeighbourCount(mb);
                    _ = nC switch
                    {
                        < 2 => bits.Bits(1, 1),
                        < 4 => bits.Bits(0b11, 2),
                        < 8 => bits.Bits(0b1111, 4),
                        _ => bits.Bits(0b000011, 6),
                    };
                }
            }

            return Nal(0x65, bits.Trailing());
        }

        public byte[] SkipFrame(int index)
        {
            var bits = new BitWriter();
            bits.Ue(0).Ue(5).Ue(0).Bits((uint)(index % (1 << Log2MaxFrameNum)), Log2MaxFrameNum); // first_mb, slice_type P, pps, frame_num
            bits.Bits(0, 1).Bits(0, 1).Bits(0, 1); // num_ref_idx override, ref list modification, adaptive marking
            bits.Se(0).Ue(1); // slice_qp_delta, deblocking off
            bits.Ue((uint)pcm.Length); // mb_skip_run: every macroblock copies the previous picture
            return Nal(0x41, bits.Trailing());
        }

        /// <summary>nC for a macroblock's luma DC block (H.264 9.2.1): an I_PCM neighbour counts 16, ours 0.</summary>
        private int NeighbourCount(int mb)
        {
            int? left = mb % widthMbs > 0 ? (pcm[mb - 1] ? 16 : 0) : null;
            int? top = mb >= widthMbs ? (pcm[mb - widthMbs] ? 16 : 0) : null;
            return (left, top) switch
            {
                ({ } a, { } b) => (a + b + 1) >> 1,
                ({ } a, null) => a,
                (null, { } b) => b,
                _ => 0,
            };
        }

        private byte[] SequenceParameterSet(int width, int height)
        {
            var bits = new BitWriter();
            bits.Bits(66, 8).Bits(0xC0, 8).Bits(LevelIdc, 8).Ue(0); // Baseline, constraint_set0+1 (Constrained Baseline)
            bits.Ue(Log2MaxFrameNum - 4).Ue(2).Ue(1).Bits(0, 1); // frame_num bits, POC type 2 (output = decode order), 1 ref, no gaps
            bits.Ue((uint)widthMbs - 1).Ue((uint)heightMbs - 1).Bits(1, 1).Bits(1, 1); // frame_mbs_only, direct_8x8_inference
            var cropRight = ((widthMbs * 16) - width) / 2;
            var cropBottom = ((heightMbs * 16) - height) / 2;
            if (cropRight + cropBottom > 0)
            {
                bits.Bits(1, 1).Ue(0).Ue((uint)cropRight).Ue(0).Ue((uint)cropBottom); // in 2-pixel units (4:2:0)
            }
            else
            {
                bits.Bits(0, 1);
            }

            bits.Bits(0, 1); // no VUI: the container carries the timing
            return bits.Trailing();
        }

        private static byte[] PictureParameterSet()
        {
            var bits = new BitWriter();
            bits.Ue(0).Ue(0).Bits(0, 1).Bits(0, 1).Ue(0); // ids, CAVLC, no field POC, one slice group
            bits.Ue(0).Ue(0).Bits(0, 1).Bits(0, 2); // ref idx defaults, no weighted prediction
            bits.Se(0).Se(0).Se(0); // QP 26, QS 26, chroma QP offset 0
            bits.Bits(1, 1).Bits(0, 1).Bits(0, 1); // deblocking control present, unconstrained intra, no redundant_pic_cnt
            return bits.Trailing();
        }

        private void Draw(List<string> lines)
        {
            var stride = widthMbs * 16;
            for (var line = 0; line < lines.Count; line++)
            {
                var top = (line + 1) * LineHeight;
                for (var c = 0; c < lines[line].Length; c++)
                {
                    var glyph = BitmapFont.Glyph(lines[line][c]);
                    var left = LineHeight + (c * CellWidth);
                    for (var col = 0; col < glyph.Length; col++)
                    {
                        for (var row = 0; row < 7; row++)
                        {
                            if ((glyph[col] >> row & 1) == 0)
                            {
                                continue;
                            }

                            for (var dy = 0; dy < Scale; dy++)
                            {
                                for (var dx = 0; dx < Scale; dx++)
                                {
                                    var (x, y) = (left + (col * Scale) + dx, top + 1 + (row * Scale) + dy);
                                    luma[(y * stride) + x] = Ink;
                                    pcm[(y / 16 * widthMbs) + (x / 16)] = true;
                                }
                            }
                        }
                    }
                }
            }
        }

        /// <summary>A NAL unit with its 4-byte length prefix; emulation prevention bytes inserted (H.264 7.4.1).</summary>
        private static byte[] Nal(byte header, byte[] rbsp)
        {
            var nal = new List<byte>(rbsp.Length + 16) { 0, 0, 0, 0, header };
            var zeros = 0;
            foreach (var b in rbsp)
            {
                if (zeros == 2 && b <= 3)
                {
                    nal.Add(3);
                    zeros = 0;
                }

                nal.Add(b);
                zeros = b == 0 ? zeros + 1 : 0;
            }

            var bytes = nal.ToArray();
            BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)(bytes.Length - 4));
            return bytes;
        }
    }

    /// <summary>MSB-first bit writer with Exp-Golomb codes.</summary>
    private sealed class BitWriter
    {
        private readonly List<byte> bytes = [];
        private int current;
        private int used;

        public BitWriter Bits(uint value, int count)
        {
            for (var i = count - 1; i >= 0; i--)
            {
                current = (current << 1) | (int)((value >> i) & 1);
                if (++used == 8)
                {
                    bytes.Add((byte)current);
                    (current, used) = (0, 0);
                }
            }

            return this;
        }

        public BitWriter Byte(byte value) => Bits(value, 8);

        public BitWriter Ue(uint value)
        {
            var code = value + 1;
            var length = 32 - uint.LeadingZeroCount(code);
            return Bits(0, (int)length - 1).Bits(code, (int)length);
        }

        public BitWriter Se(int value) => Ue(value <= 0 ? (uint)(-2 * value) : (uint)((2 * value) - 1));

        public BitWriter AlignZero()
        {
            while (used != 0)
            {
                Bits(0, 1);
            }

            return this;
        }

        /// <summary>rbsp_trailing_bits: a stop bit, then zeros to the byte boundary.</summary>
        public byte[] Trailing()
        {
            Bits(1, 1).AlignZero();
            return [.. bytes];
        }
    }
}
