using System.Buffers.Binary;
using System.Text;

namespace DashScope.Simulator.Tests;

public class TestPatternVideoTests
{
    [Theory]
    [InlineData("1280*720", 5, true)]
    [InlineData("720*1280", 2, false)]
    [InlineData("960*960", 10, true)]
    [InlineData("1920*1080", 3, false)]
    [InlineData("1080*1920", 4, true)]
    [InlineData("1632*1248", 2, true)]
    public void The_file_has_the_requested_size_duration_and_tracks(string size, int seconds, bool audio)
    {
        var (width, height) = TestPatternVideo.ParseSize(size);

        var file = TestPatternVideo.Create(width, height, seconds, audio, "character1 dances");

        Assert.Equal(["ftyp", "moov", "mdat"], VideoTests.TopLevelBoxes(file));
        var mp4 = Mp4Info.Read(file);
        Assert.Equal(seconds, mp4.Seconds, precision: 3);
        var video = mp4.Track("vide")!;
        Assert.Equal("avc1", video.SampleEntry);
        Assert.Equal((uint)width, video.Width);
        Assert.Equal((uint)height, video.Height);
        Assert.Equal(seconds, video.Seconds, precision: 3);
        Assert.Equal((uint)(seconds * TestPatternVideo.FramesPerSecond), video.SampleCount);
        var sound = mp4.Track("soun");
        Assert.Equal(audio, sound is not null);
        if (sound is not null)
        {
            Assert.Equal("mp4a", sound.SampleEntry);
            Assert.InRange(sound.Seconds, seconds, seconds + (1024.0 / TestPatternVideo.AudioSampleRate));
        }
    }

    [Fact]
    public void The_sps_codes_the_exact_size_with_cropping_and_the_first_frame_is_an_idr()
    {
        var file = TestPatternVideo.Create(1920, 1080, 2, false, "x");

        var avcC = IndexOf(file, "avcC") + 4;
        Assert.Equal(66, file[avcC + 1]); // Baseline
        var spsLength = BinaryPrimitives.ReadUInt16BigEndian(file.AsSpan(avcC + 6));
        Assert.Equal(0x67, file[avcC + 8]); // an SPS NAL unit, no length prefix inside avcC
        Assert.InRange(spsLength, 8, 32);
        var mdat = IndexOf(file, "mdat") + 4;
        Assert.Equal(0x65, file[mdat + 4]); // the first sample is an IDR slice
    }

    [Fact]
    public void The_prompt_is_drawn_and_changes_the_picture()
    {
        var a = TestPatternVideo.Create(1280, 720, 2, true, "character1 dances");
        var b = TestPatternVideo.Create(1280, 720, 2, true, "character1 sings");
        var again = TestPatternVideo.Create(1280, 720, 2, true, "character1 dances");

        Assert.Equal(a, again);
        Assert.NotEqual(a, b);
        // Text macroblocks are raw (I_PCM): each costs 384 bytes, so a longer prompt makes a longer first frame.
        var longer = TestPatternVideo.Create(1280, 720, 2, true, "character1 dances " + new string('x', 80));
        Assert.True(longer.Length > a.Length + (20 * 384));
    }

    [Theory]
    [InlineData("角色1在跳舞", "??1???")]
    [InlineData("emoji 🎸 and é", "emoji ? and ?")]
    [InlineData("\u0000\u007fx", "??x")]
    public void Non_ascii_characters_draw_as_question_marks(string prompt, string drawn) =>
        Assert.Equal(TestPatternVideo.Create(832, 1088, 2, false, drawn), TestPatternVideo.Create(832, 1088, 2, false, prompt));

    [Fact]
    public void A_very_long_prompt_is_cut_to_the_frame()
    {
        var file = TestPatternVideo.Create(720, 1280, 2, true, string.Concat(Enumerable.Repeat("character1 walks. ", 90)));

        Assert.Equal(720u, Mp4Info.Read(file).Track("vide")!.Width);
    }

    [Theory]
    [InlineData(8, 720, 5)]
    [InlineData(1280, 721, 5)]
    [InlineData(1280, 720, 0)]
    [InlineData(8192, 720, 5)]
    public void Impossible_sizes_and_durations_throw(int width, int height, int seconds) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => TestPatternVideo.Create(width, height, seconds, true, "x"));

    [Fact]
    public void A_size_not_of_the_form_w_times_h_throws() =>
        Assert.Throws<ArgumentException>(() => TestPatternVideo.ParseSize("1280x720"));

    private static int IndexOf(byte[] file, string type) => file.AsSpan().IndexOf(Encoding.ASCII.GetBytes(type));
}
