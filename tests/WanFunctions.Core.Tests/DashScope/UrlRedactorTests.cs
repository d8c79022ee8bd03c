using WanFunctions.DashScope;

namespace WanFunctions.Core.Tests.DashScope;

public class UrlRedactorTests
{
    [Theory]
    [InlineData("https://acct.blob.core.windows.net/c/a.mp4?sv=2024&sig=abc", "https://acct.blob.core.windows.net/c/a.mp4?…")]
    [InlineData("https://acct.blob.core.windows.net/c/a.mp4", "https://acct.blob.core.windows.net/c/a.mp4")]
    [InlineData("http://localhost:10000/devstoreaccount1/c/b.png?sig=x#frag", "http://localhost:10000/devstoreaccount1/c/b.png?…")]
    [InlineData("https://user:pass@host.test/p?q=1", "https://host.test/p?…")]
    [InlineData("https://host.test/p#only-fragment", "https://host.test/p?…")]
    [InlineData("not a url?secret=1", "not a url?…")]
    [InlineData("/relative/path?sig=1", "/relative/path?…")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void Redact_keeps_scheme_host_path_only(string? input, string expected)
    {
        Assert.Equal(expected, UrlRedactor.Redact(input));
    }

    [Fact]
    public void Redact_uri_overload()
    {
        Assert.Equal("https://h.test/a?…", UrlRedactor.Redact(new Uri("https://h.test/a?b=c")));
        Assert.Equal(string.Empty, UrlRedactor.Redact((Uri?)null));
    }

    [Fact]
    public void RedactUrlsIn_scrubs_every_embedded_url()
    {
        var text = "failed: https://a.test/x.mp4?sig=S1, and http://b.test/y?z=S2 plus oss://bkt/k?Signature=S3.";

        var redacted = UrlRedactor.RedactUrlsIn(text);

        Assert.DoesNotContain("S1", redacted);
        Assert.DoesNotContain("S2", redacted);
        Assert.DoesNotContain("S3", redacted);
        Assert.Contains("https://a.test/x.mp4?…", redacted);
        Assert.StartsWith("failed: ", redacted);
    }
}
