namespace DashScope.Simulator;

/// <summary>The simulator's notion of "now"; tests substitute a controllable <see cref="TimeProvider"/>.</summary>
public sealed class SimulatorClock(TimeProvider inner)
{
    public DateTimeOffset UtcNow => inner.GetUtcNow();
}
