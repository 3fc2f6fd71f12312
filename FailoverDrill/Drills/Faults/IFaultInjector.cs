namespace HaStack.FailoverDrill.Drills;

/// <summary>What an injector did, for the report.</summary>
/// <param name="Description">The fault as the report shows it (the commands run).</param>
/// <param name="Victims">The members (Patroni or etcd) the fault hit.</param>
public sealed record InjectionResult(string Description, IReadOnlyList<string> Victims)
{
    /// <summary>A paused switchover: how PgBouncer's pause went.</summary>
    public ClientPauseReport? Pause { get; init; }
}

/// <summary>What an injector may look at and use: the cluster as the precondition read it.</summary>
/// <param name="Target">The cluster's addresses, hooks and containers.</param>
/// <param name="Patroni">The run's Patroni client.</param>
/// <param name="Cluster">The members and roles before the fault.</param>
/// <param name="Leader">The leader before the fault.</param>
/// <param name="Settings">The drill's settings.</param>
/// <param name="Http">For etcd's health and metrics.</param>
public sealed record FaultContext(DrillTarget Target, PatroniClient Patroni, PatroniClusterView Cluster, string Leader, DrillSettings Settings, HttpClient Http);

/// <summary>
/// One kind of fault. A drill asks <see cref="CannotInjectReasonAsync"/> in its precondition, calls
/// <see cref="InjectAsync"/> under load, and <see cref="HealAsync"/> once the fault has had its effect: after the new
/// leader is measured when <see cref="Effect"/> is <see cref="FaultEffect.Failover"/>, otherwise after
/// <see cref="Hold"/>. An injector is made per drill (<see cref="FaultInjectors.For"/>) and remembers its victims.
/// </summary>
public interface IFaultInjector
{
    DrillKind Kind { get; }

    /// <summary>What the fault must do to the leader for the drill to pass.</summary>
    FaultEffect Effect { get; }

    /// <summary>How long the fault lasts before it is healed when no failover ends it, from the cluster's timing.</summary>
    TimeSpan Hold(int ttl, int loopWait, int retryTimeout);

    /// <summary>Why this fault cannot be injected now (null: it can). Nothing is changed.</summary>
    Task<string?> CannotInjectReasonAsync(FaultContext context, CancellationToken ct);

    Task<InjectionResult> InjectAsync(FaultContext context, CancellationToken ct);

    /// <summary>Undoes what <see cref="InjectAsync"/> did (start, unpause, unfilter); null when there was nothing to undo.</summary>
    Task<string?> HealAsync(DrillTarget target, CancellationToken ct);
}

public static class FaultInjectors
{
    public static IFaultInjector For(DrillKind kind) => kind switch
    {
        DrillKind.Switchover => new SwitchoverInjector(),
        DrillKind.Crash => new CrashInjector(),
        DrillKind.Partition => new PartitionInjector(PartitionScope.Everything),
        DrillKind.DcsPartition => new PartitionInjector(PartitionScope.Etcd),
        DrillKind.Freeze => new FreezeInjector(),
        DrillKind.ReplicaLoss => new ReplicaLossInjector(),
        DrillKind.EtcdMemberLoss => new EtcdLossInjector(quorum: false),
        DrillKind.EtcdQuorumLoss => new EtcdLossInjector(quorum: true),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown drill kind"),
    };

    /// <summary>The hold of a fault that should outlast the leader lock: ttl plus two HA loops and 5 s.</summary>
    internal static TimeSpan PastTtl(int ttl, int loopWait) => TimeSpan.FromSeconds(ttl + (2 * loopWait) + 5);

    /// <summary>The hold of a fault Patroni should absorb within a few HA loops.</summary>
    internal static TimeSpan FewLoops(int loopWait) => TimeSpan.FromSeconds(Math.Max(10, (2 * loopWait) + 5));
}
