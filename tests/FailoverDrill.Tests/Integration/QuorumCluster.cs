namespace FailoverDrill.Tests.Integration;

/// <summary>
/// Three nodes under Patroni 4's quorum commit (<c>ANY 1 (…)</c>), failsafe mode on, with the drill service, and
/// fencing off: a crashed leader's lock expires by its ttl.
/// </summary>
public sealed class QuorumCluster : DrillCluster
{
    protected override IEnumerable<string> Arguments => ["--HaStack:Replicas=2", "--HaStack:SynchronousMode=quorum", "--HaStack:FencedFailover=off"];
}
