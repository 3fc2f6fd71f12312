namespace FailoverDrill.Tests.Integration;

/// <summary>A leader and its one standby under <c>synchronous_mode: strict</c>, with the drill service.</summary>
public sealed class StrictCluster : DrillCluster
{
    protected override IEnumerable<string> Arguments => ["--HaStack:SynchronousMode=strict"];
}
