namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// An abrupt crash: the leader's container is killed through the container engine (SIGKILL to every process), so
/// Patroni cannot release its lock and the lock must expire. The kill and start commands are the operator's hooks
/// (<see cref="HookCommand"/>), run without a shell.
/// </summary>
public sealed class CrashInjector : IFaultInjector
{
    private string? _killed;

    public DrillKind Kind => DrillKind.Crash;

    public FaultEffect Effect => FaultEffect.Failover;

    public TimeSpan Hold(int ttl, int loopWait, int retryTimeout) => TimeSpan.Zero;

    public Task<string?> CannotInjectReasonAsync(FaultContext context, CancellationToken ct) => Task.FromResult(
        context.Target.KillCommand is not { Count: > 0 } ? "a crash drill needs a kill command (--kill-command \"docker kill {container}\")" : null);

    public async Task<InjectionResult> InjectAsync(FaultContext context, CancellationToken ct)
    {
        _killed = context.Leader;
        var command = await ContainerEngine.RunHookAsync(context.Target.KillCommand!, context.Target, context.Leader, ct).ConfigureAwait(false);
        return new InjectionResult($"killed {context.Leader}: {command}", [context.Leader]);
    }

    public async Task<string?> HealAsync(DrillTarget target, CancellationToken ct)
    {
        if (_killed is null || target.StartCommand is not { Count: > 0 } start)
        {
            return null;
        }

        var command = await ContainerEngine.RunHookAsync(start, target, _killed, ct).ConfigureAwait(false);
        _killed = null;
        return command;
    }
}
