using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace WanFunctions.IntegrationTests;

[Collection(IntegrationCollection.Name)]
public sealed class CallbackTests(AzuriteFixture azurite)
{
    private const string SigningKey = "test-signing-key-that-is-long-enough-0123";

    [Fact]
    public async Task The_result_is_posted_to_the_callback_url_once_and_signed()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        await using var world = await WorkflowHarness.StartAsync(azurite,
            overrides: new Dictionary<string, string?> { ["Callbacks:SigningKey"] = SigningKey });

        var (_, accepted) = await world.PostJobAsync(new
        {
            prompt = "character1 claps",
            references = new[] { new { url = "https://example.com/a.mp4" } },
            callbackUrl = new Uri(receiver.BaseUrl, "hook").ToString(),
        });
        var id = (string)accepted["id"]!;
        await world.WaitForFinishAsync(id);
        await receiver.WaitForAsync(1, TimeSpan.FromSeconds(20));

        (var body, var signature) = Assert.Single(receiver.Calls);
        var payload = JsonNode.Parse(body)!;
        Assert.Equal(id, (string)payload["jobId"]!);
        Assert.Equal("Succeeded", (string)payload["result"]!["outcome"]!);
        Assert.NotNull(payload["result"]!["video"]!["blobUri"]);
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(SigningKey), body));
        Assert.Equal(expected, signature);
    }

    private sealed class CallbackReceiver : IAsyncDisposable
    {
        private readonly WebApplication app;

        private CallbackReceiver(WebApplication app, Uri baseUrl)
        {
            this.app = app;
            BaseUrl = baseUrl;
        }

        public Uri BaseUrl { get; }

        public ConcurrentQueue<(byte[] Body, string? Signature)> Calls { get; } = new();

        public static async Task<CallbackReceiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            CallbackReceiver? receiver = null;
            app.MapPost("/hook", async (HttpRequest request) =>
            {
                using var buffer = new MemoryStream();
                await request.Body.CopyToAsync(buffer);
                receiver!.Calls.Enqueue((buffer.ToArray(), request.Headers["X-WanFunctions-Signature"].FirstOrDefault()));
                return Results.Ok();
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            receiver = new CallbackReceiver(app, new Uri(address + "/"));
            return receiver;
        }

        public async Task WaitForAsync(int count, TimeSpan timeout)
        {
            var until = DateTime.UtcNow + timeout;
            while (Calls.Count < count && DateTime.UtcNow < until)
            {
                await Task.Delay(100);
            }
        }

        public async ValueTask DisposeAsync() => await app.DisposeAsync();
    }
}
