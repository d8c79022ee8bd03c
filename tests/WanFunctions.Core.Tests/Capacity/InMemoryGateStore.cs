using System.Text.Json;
using WanFunctions.Capacity;

namespace WanFunctions.Core.Tests.Capacity;

/// <summary>An <see cref="IGateStore"/> in memory (JSON round trip, as the blob store does).</summary>
internal sealed class InMemoryGateStore : IGateStore
{
    private readonly Dictionary<string, byte[]> states = [];

    public int Writes { get; private set; }

    public Task<T> UpdateAsync<T>(string account, Func<GateState, T> change, CancellationToken cancellationToken)
    {
        lock (states)
        {
            var state = Read(account);
            var result = change(state);
            states[account] = JsonSerializer.SerializeToUtf8Bytes(state);
            Writes++;
            return Task.FromResult(result);
        }
    }

    public Task<GateState> ReadAsync(string account, CancellationToken cancellationToken)
    {
        lock (states)
        {
            return Task.FromResult(Read(account));
        }
    }

    private GateState Read(string account) => states.TryGetValue(account, out var json)
        ? JsonSerializer.Deserialize<GateState>(json)!
        : new GateState { Account = account };
}
