using System.Text.Json;

namespace HaStack.FailoverDrill.Drills;

/// <summary>The kinds of fault a drill can inject (each is an <see cref="IFaultInjector"/>); named in kebab case (<see cref="DrillKinds.Name"/>).</summary>
public enum DrillKind
{
    /// <summary>A planned move of the leader through Patroni's REST API.</summary>
    Switchover,

    /// <summary>Abrupt loss of the leader node: its container is killed (Patroni and PostgreSQL die together).</summary>
    Crash,

    /// <summary>The leader is cut off from everything (clients, replicas, etcd) by packet filtering in its network namespace.</summary>
    Partition,

    /// <summary>The leader is cut off from etcd only; clients and replicas still reach it.</summary>
    DcsPartition,

    /// <summary>The leader's container is paused (every process frozen) past the ttl, then resumed.</summary>
    Freeze,

    /// <summary>The synchronous standby's container is killed.</summary>
    ReplicaLoss,

    /// <summary>One etcd member (the etcd leader) is killed: quorum stays.</summary>
    EtcdMemberLoss,

    /// <summary>Two of three etcd members are killed: etcd loses quorum.</summary>
    EtcdQuorumLoss,
}

/// <summary>What a fault must do to the Patroni leader for the drill to pass.</summary>
public enum FaultEffect
{
    /// <summary>Another member must take over; the old leader must rejoin as a replica.</summary>
    Failover,

    /// <summary>The leader must stay the leader.</summary>
    NoFailover,

    /// <summary>Either is correct (the drill records which): what matters is that nothing is lost and one primary remains.</summary>
    Either,
}

public static class DrillKinds
{
    /// <summary>The name on the command line, in URLs, metrics and reports: <c>dcs-partition</c>, <c>etcd-quorum-loss</c>.</summary>
    public static string Name(DrillKind kind) => JsonNamingPolicy.KebabCaseLower.ConvertName(kind.ToString());

    /// <summary>Every kind's name, for help texts and errors.</summary>
    public static string AllNames => string.Join(", ", Enum.GetValues<DrillKind>().Select(Name));

    /// <summary>The kind named <paramref name="name"/> (its kebab-case name, case-insensitive).</summary>
    public static bool TryParse(string? name, out DrillKind kind)
    {
        foreach (var candidate in Enum.GetValues<DrillKind>())
        {
            if (string.Equals(Name(candidate), name?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }
}
