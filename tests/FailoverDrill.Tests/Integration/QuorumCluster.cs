namespace FailoverDrill.Tests.Integration;

/// <summary>Three nodes under Patroni 4's quorum commit (<c>ANY 1 (…)</c>), failsafe mode on, with the drill service.</summary>
public sealed class QuorumCluster : DrillCluster
{
    protected override IEnumerable<string> Arguments => ["--HaStack:Replicas=2", "--HaStack:SynchronousMode=quorum"];
}
