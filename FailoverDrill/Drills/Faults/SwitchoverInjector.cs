namespace HaStack.FailoverDrill.Drills;

/// <summary>A planned switchover through Patroni's REST API: the old leader demotes and hands over the lock.</summary>
public sealed class SwitchoverInjector : IFaultInjector
{
    public DrillKind Kind => DrillKind.Switchover;

    public FaultEffect Effect => FaultEffect.Failover;

    public TimeSpan Hold(int ttl, int loopWait, int retryTimeout) => TimeSpan.Zero;

    public Task<string?> CannotInjectReasonAsync(FaultContext context, CancellationToken ct) => Task.FromResult(
        context.Target.RestPassword is null ? "a switchover needs the Patroni REST password (--rest-password or HASTACK_PATRONI_PASSWORD)" : null);

    public async Task<InjectionResult> InjectAsync(FaultContext context, CancellationToken ct)
    {
        var candidate = context.Settings.Candidate;
        var answer = await context.Patroni.SwitchoverAsync(context.Leader, candidate, ct).ConfigureAwait(false);
        return new InjectionResult($"POST /switchover leader={context.Leader}{(candidate is null ? "" : " candidate=" + candidate)}: {answer}", [context.Leader]);
    }

    public Task<string?> HealAsync(DrillTarget target, CancellationToken ct) => Task.FromResult<string?>(null);
}
