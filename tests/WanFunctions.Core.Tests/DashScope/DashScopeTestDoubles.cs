using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WanFunctions.DashScope;

namespace WanFunctions.Core.Tests.DashScope;

/// <summary>A recorded request, with its body read before the message is disposed.</summary>
internal sealed record RecordedRequest(HttpMethod Method, Uri Uri, IReadOnlyDictionary<string, string> Headers, string? ContentType, string? Body);

/// <summary>Answers every request with the given function and records what was sent. No network.</summary>
internal sealed class FakeHandler : HttpMessageHandler
{
    private readonly Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> _answer;

    public FakeHandler(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> answer) => _answer = answer;

    public FakeHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) : this((r, _) => Task.FromResult(answer(r)))
    {
    }

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public int Count => Requests.Count;

    public RecordedRequest Last => Requests.Last();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var headers = request.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        Requests.Enqueue(new RecordedRequest(request.Method, request.RequestUri!, headers, request.Content?.Headers.ContentType?.ToString(), body));
        var response = await _answer(request, cancellationToken);
        response.RequestMessage ??= request;
        return response;
    }

    public static HttpResponseMessage Json(HttpStatusCode status, string json, Action<HttpResponseMessage>? tweak = null)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        tweak?.Invoke(response);
        return response;
    }
}

/// <summary>Keeps every formatted log line, with its exception, for leak checks.</summary>
internal sealed class CapturingLogger<T> : ILogger<T>
{
    public ConcurrentQueue<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

    public string AllText => string.Join("\n", Entries.Select(e => $"{e.Level} {e.Message} {e.Exception}"));

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var text = formatter(state, exception);
        if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
        {
            text += " | " + string.Join(", ", pairs.Select(p => $"{p.Key}={p.Value}"));
        }

        Entries.Enqueue((logLevel, text, exception));
    }
}

internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public CapturingLogger<object> Logger { get; } = new();

    public ILogger CreateLogger(string categoryName) => Logger;

    public void Dispose()
    {
    }
}

internal static class DashScopeTestContext
{
    public const string ApiKey = "sk-test-0123456789abcdef-SECRET";
    public static readonly Uri BaseUrl = new("https://dashscope.test");

    public static DashScopeOptions Options(Uri? baseUrl = null) => new()
    {
        BaseUrl = baseUrl ?? BaseUrl,
        ApiKey = ApiKey,
    };

    public static (DashScopeClient Client, FakeHandler Handler, CapturingLogger<DashScopeClient> Logger) Create(
        Func<HttpRequestMessage, HttpResponseMessage> answer, Uri? baseUrl = null, TimeSpan? httpTimeout = null)
        => Create(new FakeHandler(answer), baseUrl, httpTimeout);

    public static (DashScopeClient Client, FakeHandler Handler, CapturingLogger<DashScopeClient> Logger) Create(
        FakeHandler handler, Uri? baseUrl = null, TimeSpan? httpTimeout = null)
    {
        var http = new HttpClient(handler);
        if (httpTimeout is { } timeout)
        {
            http.Timeout = timeout;
        }

        var logger = new CapturingLogger<DashScopeClient>();
        var client = new DashScopeClient(http, Microsoft.Extensions.Options.Options.Create(Options(baseUrl)), logger);
        return (client, handler, logger);
    }

    public static VideoSynthesisRequest Request(string firstUrl = "https://acct.blob.core.windows.net/refs/a.mp4?sv=2024&sig=SIGNATURE") => new(
        Model: "wan2.6-r2v-flash",
        Prompt: "character1 waves at character2",
        NegativePrompt: null,
        ReferenceUrls: [firstUrl, "https://acct.blob.core.windows.net/refs/b.png?sv=2024&sig=OTHER"],
        Size: "1280*720",
        Duration: 5,
        Audio: true,
        ShotType: "multi",
        Watermark: null,
        Seed: 42);
}

/// <summary>A pool whose every account answers with one client; <see cref="Asked"/> lists the accounts asked for.</summary>
internal sealed class SingleClientFactory(IDashScopeClient client, params string[] accounts) : IDashScopeClientFactory
{
    public List<string?> Asked { get; } = [];

    public IReadOnlyList<DashScopeAccount> Accounts { get; } =
        (accounts.Length == 0 ? [DashScopeAccount.DefaultName] : accounts)
        .Select(a => new DashScopeAccount(a, "key-" + a, new Uri("https://dashscope.test"), DashScopeRegion.International, 5, 5)).ToList();

    public IDashScopeClient ClientOf(string? account)
    {
        Asked.Add(account);
        return client;
    }
}
