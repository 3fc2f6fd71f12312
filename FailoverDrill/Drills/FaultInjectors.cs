namespace HaStack.FailoverDrill.Drills;

/// <summary>What an injector did, for the report.</summary>
public sealed record InjectionResult(string Description);

/// <summary>
/// One kind of fault. A drill asks <see cref="CannotInjectReason"/> in its precondition, calls <see cref="InjectAsync"/>
/// under load, and <see cref="RecoverAsync"/> once the new leader is measured, so the old leader can rejoin.
/// Partition of the leader or loss of an etcd member would be further implementations.
/// </summary>
public interface IFaultInjector
{
    DrillKind Kind { get; }

    /// <summary>Why this fault cannot be injected against <paramref name="leader"/> (null: it can).</summary>
    string? CannotInjectReason(DrillTarget target, string leader);

    Task<InjectionResult> InjectAsync(DrillTarget target, PatroniClient patroni, string leader, DrillSettings settings, CancellationToken ct);

    /// <summary>Undoes the fault's lasting effect (a killed node is started again); a no-op where Patroni heals itself.</summary>
    Task<string?> RecoverAsync(DrillTarget target, string oldLeader, CancellationToken ct);
}

public static class FaultInjectors
{
    public static IFaultInjector For(DrillKind kind) => kind switch
    {
        DrillKind.Switchover => new SwitchoverInjector(),
        DrillKind.Crash => new CrashInjector(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown drill kind"),
    };
}

/// <summary>A planned switchover through Patroni's REST API: the old leader demotes and hands over the lock.</summary>
public sealed class SwitchoverInjector : IFaultInjector
{
    public DrillKind Kind => DrillKind.Switchover;

    public string? CannotInjectReason(DrillTarget target, string leader) =>
        target.RestPassword is null ? "a switchover needs the Patroni REST password (--rest-password or HASTACK_PATRONI_PASSWORD)" : null;

    public async Task<InjectionResult> InjectAsync(DrillTarget target, PatroniClient patroni, string leader, DrillSettings settings, CancellationToken ct)
    {
        var answer = await patroni.SwitchoverAsync(leader, settings.Candidate, ct).ConfigureAwait(false);
        return new InjectionResult($"POST /switchover leader={leader}{(settings.Candidate is null ? "" : " candidate=" + settings.Candidate)}: {answer}");
    }

    public Task<string?> RecoverAsync(DrillTarget target, string oldLeader, CancellationToken ct) => Task.FromResult<string?>(null);
}

/// <summary>
/// An abrupt crash: the leader's container is killed through the container engine (SIGKILL to every process), so
/// Patroni cannot release its lock and the lock must expire. The kill and start commands are argument lists
/// (<see cref="HookCommand"/>), run without a shell.
/// </summary>
public sealed class CrashInjector : IFaultInjector
{
    public DrillKind Kind => DrillKind.Crash;

    public string? CannotInjectReason(DrillTarget target, string leader) =>
        target.KillCommand is not { Count: > 0 } ? "a crash drill needs a kill command (--kill-command \"docker kill {container}\")" : null;

    public async Task<InjectionResult> InjectAsync(DrillTarget target, PatroniClient patroni, string leader, DrillSettings settings, CancellationToken ct)
    {
        var command = HookCommand.Expand(target.KillCommand!, leader, target.ContainerOf(leader));
        await HookCommand.RunAsync(command, ct).ConfigureAwait(false);
        return new InjectionResult($"killed {leader}: {HookCommand.Describe(command)}");
    }

    public async Task<string?> RecoverAsync(DrillTarget target, string oldLeader, CancellationToken ct)
    {
        if (target.StartCommand is not { Count: > 0 } template)
        {
            return null;
        }

        var command = HookCommand.Expand(template, oldLeader, target.ContainerOf(oldLeader));
        await HookCommand.RunAsync(command, ct).ConfigureAwait(false);
        return HookCommand.Describe(command);
    }
}
