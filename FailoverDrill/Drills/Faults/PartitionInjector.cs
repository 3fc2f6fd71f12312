namespace HaStack.FailoverDrill.Drills;

/// <summary>What a partition cuts the leader off from.</summary>
public enum PartitionScope
{
    /// <summary>Every packet in and out, except loopback: clients, replicas and etcd.</summary>
    Everything,

    /// <summary>Only etcd's client port (2379): clients and replicas still reach the leader.</summary>
    Etcd,
}

/// <summary>
/// A network partition of the leader by packet filtering inside its own network namespace. The filter is set by a
/// one-off container that joins the victim's namespace (<c>--network container:…</c>) with <c>NET_ADMIN</c> and runs
/// the node image's <c>/etc/patroni/netfault.sh</c> (<c>nft</c>): the victim itself needs no capability, nothing on
/// the host changes, and it works wherever the engine runs Linux containers (Docker Desktop too). Packets are
/// dropped, not rejected: the victim's connections hang as in a real partition. <c>docker network disconnect</c> is
/// not used: Aspire's orchestrator re-attaches the container within a second.
/// </summary>
public sealed class PartitionInjector(PartitionScope scope) : IFaultInjector
{
    /// <summary>etcd's client port, the only one a DCS partition filters.</summary>
    public const int EtcdClientPort = 2379;

    private const string Script = "/etc/patroni/netfault.sh";

    private string? _victim;

    public DrillKind Kind => scope == PartitionScope.Everything ? DrillKind.Partition : DrillKind.DcsPartition;

    /// <summary>A full partition must fail over; cut off from etcd only, failsafe mode may keep the leader (both are correct).</summary>
    public FaultEffect Effect => scope == PartitionScope.Everything ? FaultEffect.Failover : FaultEffect.Either;

    public TimeSpan Hold(int ttl, int loopWait, int retryTimeout) => FaultInjectors.PastTtl(ttl, loopWait);

    public Task<string?> CannotInjectReasonAsync(FaultContext context, CancellationToken ct) => Task.FromResult(
        context.Target.FaultImage is null
            ? $"a {DrillKinds.Name(Kind)} drill needs an image with nft and {Script} (--fault-image, the node image)"
            : HookCommand.UnsafeImageReason(context.Target.FaultImage));

    public async Task<InjectionResult> InjectAsync(FaultContext context, CancellationToken ct)
    {
        var container = ContainerEngine.ContainerOf(context.Target, context.Leader);
        _victim = context.Leader;
        var command = scope == PartitionScope.Everything
            ? await RunScriptAsync(context.Target, container, ct, "isolate").ConfigureAwait(false)
            : await RunScriptAsync(context.Target, container, ct, "dcs", EtcdClientPort.ToString(System.Globalization.CultureInfo.InvariantCulture)).ConfigureAwait(false);
        var what = scope == PartitionScope.Everything ? "from everything" : $"from etcd (tcp {EtcdClientPort})";
        return new InjectionResult($"cut {context.Leader} off {what}: {command}", [context.Leader]);
    }

    public async Task<string?> HealAsync(DrillTarget target, CancellationToken ct)
    {
        if (_victim is null)
        {
            return null;
        }

        var command = await RunScriptAsync(target, ContainerEngine.ContainerOf(target, _victim), ct, "heal").ConfigureAwait(false);
        _victim = null;
        return command;
    }

    private static Task<string> RunScriptAsync(DrillTarget target, string container, CancellationToken ct, params string[] arguments) =>
        ContainerEngine.RunAsync(target, ct, ["run", "--rm", "--network", "container:" + container, "--cap-add", "NET_ADMIN",
            "--user", "root", "--entrypoint", Script, target.FaultImage!, .. arguments]);
}
