namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// Loss of etcd members, killed with the operator's kill hook and started again with the start hook after the hold:
/// one member (the etcd leader, so an etcd election happens too), or a majority (2 of 3: no quorum, Patroni cannot
/// renew its lock). With one lost, nothing may change for clients. Without quorum the leader either demotes or, in
/// failsafe mode, keeps running while it reaches every member: the drill records which, and that nothing is lost.
/// </summary>
public sealed class EtcdLossInjector(bool quorum) : IFaultInjector
{
    private readonly List<string> _killed = [];

    public DrillKind Kind => quorum ? DrillKind.EtcdQuorumLoss : DrillKind.EtcdMemberLoss;

    public FaultEffect Effect => quorum ? FaultEffect.Either : FaultEffect.NoFailover;

    public TimeSpan Hold(int ttl, int loopWait, int retryTimeout) => quorum ? FaultInjectors.PastTtl(ttl, loopWait) : FaultInjectors.FewLoops(loopWait);

    public async Task<string?> CannotInjectReasonAsync(FaultContext context, CancellationToken ct)
    {
        var target = context.Target;
        var name = DrillKinds.Name(Kind);
        if (target.KillCommand is not { Count: > 0 } || target.StartCommand is not { Count: > 0 })
        {
            return $"an {name} drill needs a kill and a start command (--kill-command \"docker kill {{container}}\" --start-command \"docker start {{container}}\")";
        }

        if (target.EtcdMembers.Count == 0)
        {
            return $"an {name} drill needs the etcd members' metrics URLs (--etcd etcd-1=http://…:2381,…)";
        }

        if (!quorum && target.EtcdMembers.Count < 3)
        {
            return $"an etcd-member-loss drill needs at least 3 etcd members (there are {target.EtcdMembers.Count}: losing one loses quorum; run etcd-quorum-loss)";
        }

        var unhealthy = await EtcdHealth.UnhealthyAsync(context.Http, target.EtcdMembers, ct).ConfigureAwait(false);
        return unhealthy.Count > 0 ? $"etcd unhealthy: {string.Join(", ", unhealthy)} not healthy" : null;
    }

    public async Task<InjectionResult> InjectAsync(FaultContext context, CancellationToken ct)
    {
        var members = context.Target.EtcdMembers.Keys.Order(StringComparer.Ordinal).ToList();
        var leader = await EtcdHealth.FindLeaderAsync(context.Http, context.Target.EtcdMembers, ct).ConfigureAwait(false);
        var count = quorum ? (members.Count / 2) + 1 : 1;
        var victims = members.OrderByDescending(m => m == leader).ThenBy(m => m, StringComparer.Ordinal).Take(count).ToList();
        var commands = new List<string>();
        foreach (var victim in victims)
        {
            _killed.Add(victim);
            commands.Add(await ContainerEngine.RunHookAsync(context.Target.KillCommand!, context.Target, victim, ct).ConfigureAwait(false));
        }

        var what = quorum ? $"{count} of {members.Count} etcd members (quorum lost)" : "1 etcd member";
        return new InjectionResult($"killed {what}: {string.Join(", ", victims.Select(v => v == leader ? v + " (etcd leader)" : v))}: {string.Join("; ", commands)}", victims);
    }

    public async Task<string?> HealAsync(DrillTarget target, CancellationToken ct)
    {
        if (_killed.Count == 0)
        {
            return null;
        }

        var commands = new List<string>();
        foreach (var member in _killed.ToList())
        {
            commands.Add(await ContainerEngine.RunHookAsync(target.StartCommand!, target, member, ct).ConfigureAwait(false));
            _killed.Remove(member);
        }

        return string.Join("; ", commands);
    }
}
