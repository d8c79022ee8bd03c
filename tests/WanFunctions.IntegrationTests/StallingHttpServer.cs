using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WanFunctions.IntegrationTests;

/// <summary>
/// A result host that breaks down mid-body, on a free loopback port. Every request gets 200 with the full
/// Content-Length and then half the body before silence (or, trickling, one byte per interval); the connection stays
/// open until the client gives up. It counts the requests and signals when a client has dropped its connection.
/// </summary>
public sealed class StallingHttpServer : IAsyncDisposable
{
    public const int BodyLength = 64 * 1024;

    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly TimeSpan? trickleInterval;
    private readonly Task accepting;
    private int requests;

    public StallingHttpServer(TimeSpan? trickleInterval = null)
    {
        this.trickleInterval = trickleInterval;
        listener.Start();
        accepting = AcceptAsync();
    }

    /// <summary>http://127.0.0.1:port (no trailing slash).</summary>
    public string BaseUrl => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    public int Requests => Volatile.Read(ref requests);

    /// <summary>Completes when the first request's headers have been read.</summary>
    public TaskCompletionSource FirstRequest { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a client has closed or reset a connection this server was holding open.</summary>
    public TaskCompletionSource ClientGone { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task AcceptAsync()
    {
        var serving = new List<Task>();
        try
        {
            while (true)
            {
                serving.Add(ServeAsync(await listener.AcceptTcpClientAsync(stop.Token)));
            }
        }
        catch (OperationCanceledException)
        {
        }

        await Task.WhenAll(serving);
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                await ReadRequestHeadAsync(stream);
                Interlocked.Increment(ref requests);
                FirstRequest.TrySetResult();

                await stream.WriteAsync(Encoding.ASCII.GetBytes(
                    $"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: {BodyLength}\r\n\r\n"), stop.Token);
                if (trickleInterval is { } interval)
                {
                    for (var i = 0; i < BodyLength; i++)
                    {
                        await stream.WriteAsync(new byte[1], stop.Token);
                        await Task.Delay(interval, stop.Token);
                    }
                }
                else
                {
                    await stream.WriteAsync(new byte[BodyLength / 2], stop.Token);
                }

                // Silence: only a read that ends (the client closed) or fails (reset) lets go of the connection.
                var one = new byte[1];
                while (await stream.ReadAsync(one, stop.Token) > 0)
                {
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (IOException)
            {
            }

            ClientGone.TrySetResult();
        }
    }

    private async Task ReadRequestHeadAsync(NetworkStream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 4 || !(head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one, stop.Token) == 0)
            {
                throw new IOException("The client closed the connection before sending a request.");
            }

            head.Add(one[0]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await accepting;
        stop.Dispose();
    }
}
