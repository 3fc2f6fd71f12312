namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// Loss of the synchronous standby (without synchronous mode: of a streaming replica): its container is killed with
/// the operator's kill hook and started again with the start hook once the fault was held. The leader must stay. In
/// <c>strict</c> mode writes must stall rather than go asynchronous (the drill samples
/// <c>synchronous_standby_names</c>); in <c>on</c> mode the report records what happened.
/// </summary>
public sealed class ReplicaLossInjector : IFaultInjector
{
    private string? _killed;

    public DrillKind Kind => DrillKind.ReplicaLoss;

    public FaultEffect Effect => FaultEffect.NoFailover;

    public TimeSpan Hold(int ttl, int loopWait, int retryTimeout) => FaultInjectors.FewLoops(loopWait);

    public Task<string?> CannotInjectReasonAsync(FaultContext context, CancellationToken ct)
    {
        if (context.Target.KillCommand is not { Count: > 0 } || context.Target.StartCommand is not { Count: > 0 })
        {
            return Task.FromResult<string?>("a replica-loss drill needs a kill and a start command (--kill-command \"docker kill {container}\" --start-command \"docker start {container}\")");
        }

        return Task.FromResult(Victim(context.Cluster) is null ? "cluster unhealthy: no running replica to lose" : null);
    }

    public async Task<InjectionResult> InjectAsync(FaultContext context, CancellationToken ct)
    {
        var victim = Victim(context.Cluster)!;
        _killed = victim.Name;
        var command = await ContainerEngine.RunHookAsync(context.Target.KillCommand!, context.Target, victim.Name, ct).ConfigureAwait(false);
        return new InjectionResult($"killed {(victim.IsSyncStandby ? "the synchronous standby" : "replica")} {victim.Name}: {command}", [victim.Name]);
    }

    public async Task<string?> HealAsync(DrillTarget target, CancellationToken ct)
    {
        if (_killed is null)
        {
            return null;
        }

        var command = await ContainerEngine.RunHookAsync(target.StartCommand!, target, _killed, ct).ConfigureAwait(false);
        _killed = null;
        return command;
    }

    /// <summary>The first running synchronous standby, else the first running replica.</summary>
    private static PatroniMember? Victim(PatroniClusterView cluster) =>
        cluster.Members.Where(m => !m.IsLeader && m.IsRunning).OrderByDescending(m => m.IsSyncStandby).ThenBy(m => m.Name, StringComparer.Ordinal).FirstOrDefault();
}
