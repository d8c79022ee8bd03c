using WanFunctions.Workflow;
using static WanFunctions.Core.Tests.Workflow.WorkflowData;

namespace WanFunctions.Core.Tests.Workflow;

public class VideoJobOrchestrationHelperTests
{
    [Fact]
    public void Blob_name_is_dated_by_acceptance_and_named_by_job()
    {
        Assert.Equal("2025/03/04/job-1.mp4", VideoJobOrchestration.BlobNameFor("job-1", new DateTime(2025, 3, 4, 23, 59, 59, DateTimeKind.Utc)));
        Assert.Equal("2024/12/31/key-abc.mp4", VideoJobOrchestration.BlobNameFor("key-abc", new DateTime(2024, 12, 31, 0, 0, 0, DateTimeKind.Utc)));
    }

    [Fact]
    public void Blob_name_does_not_depend_on_the_current_culture()
    {
        var saved = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("th-TH"); // Buddhist calendar
            Assert.Equal("2025/03/04/job-1.mp4", VideoJobOrchestration.BlobNameFor("job-1", AcceptedAt));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = saved;
        }
    }

    [Theory]
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("é", "4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c")]
    public void Sha256Hex_is_lowercase_hex_of_the_utf8_bytes(string text, string expected)
    {
        var hex = Hashing.Sha256Hex(text);

        Assert.Equal(64, hex.Length);
        Assert.Equal(hex.ToLowerInvariant(), hex);
        Assert.Equal(expected, hex);
    }
}
