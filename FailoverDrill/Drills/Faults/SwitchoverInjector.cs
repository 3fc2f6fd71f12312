using System.Diagnostics;

namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// A planned switchover through Patroni's REST API: the old leader demotes and hands over the lock. In
/// <see cref="SwitchoverMode.Paused"/> (the default when PgBouncer's container is known) PgBouncer's read-write
/// database is paused first: its in-flight transactions finish and new ones wait. Patroni hands over, PgBouncer is
/// confirmed to point at the new leader, and only then resumes, so pooled clients see a stall and no error. Whatever
/// fails midway (the pause, the switchover, the confirmation), PgBouncer is resumed.
/// </summary>
public sealed class SwitchoverInjector : IFaultInjector
{
    /// <summary>How long the new leader may take to appear in PgBouncer after Patroni answered.</summary>
    private static readonly TimeSpan s_repointTimeout = TimeSpan.FromSeconds(30);

    public DrillKind Kind => DrillKind.Switchover;

    public FaultEffect Effect => FaultEffect.Failover;

    public TimeSpan Hold(int ttl, int loopWait, int retryTimeout) => TimeSpan.Zero;

    public async Task<string?> CannotInjectReasonAsync(FaultContext context, CancellationToken ct)
    {
        if (context.Target.RestPassword is null)
        {
            return "a switchover needs the Patroni REST password (--rest-password or HASTACK_PATRONI_PASSWORD)";
        }

        if (SwitchoverModes.Effective(context.Settings, context.Target) != SwitchoverMode.Paused)
        {
            return null;
        }

        if (context.Target.PgBouncerContainer is not { } container)
        {
            return "a paused switchover needs PgBouncer's container (--pgbouncer-container); --switchover plain runs without";
        }

        if (HookCommand.UnsafeNameReason("container", container) is { } unsafeName)
        {
            return unsafeName;
        }

        // The pooled path must point at the leader now, or the handover could not be confirmed.
        var console = new PgBouncerConsole(context.Target, container);
        try
        {
            var database = await console.DatabaseAsync(context.Target.PgBouncerDatabase, ct).ConfigureAwait(false);
            return database switch
            {
                null => $"PgBouncer in {container} has no database '{context.Target.PgBouncerDatabase}'",
                { Paused: true } => $"PgBouncer's {context.Target.PgBouncerDatabase} is paused already (another switchover?); RESUME it first",
                { Host: var host } when host != context.Leader =>
                    $"PgBouncer's {context.Target.PgBouncerDatabase} points at {host}, not at the leader {context.Leader}: its leader follower has not caught up",
                _ => null,
            };
        }
        catch (InvalidOperationException ex)
        {
            return $"cannot reach PgBouncer's admin console in {container}: {ex.Message}";
        }
    }

    public async Task<InjectionResult> InjectAsync(FaultContext context, CancellationToken ct)
    {
        var candidate = context.Settings.Candidate;
        var request = $"POST /switchover leader={context.Leader}{(candidate is null ? "" : " candidate=" + candidate)}";
        if (SwitchoverModes.Effective(context.Settings, context.Target) == SwitchoverMode.Plain)
        {
            var answer = await context.Patroni.SwitchoverAsync(context.Leader, candidate, ct).ConfigureAwait(false);
            return new InjectionResult($"{request}: {answer}", [context.Leader]);
        }

        var database = context.Target.PgBouncerDatabase;
        var console = new PgBouncerConsole(context.Target, context.Target.PgBouncerContainer!);
        var clock = Stopwatch.StartNew();
        double? pausedAfter = null, handedOverAfter = null, pointedAfter = null;
        string? pointedAt = null;
        try
        {
            await console.PauseAsync(database, context.Settings.PauseTimeout, ct).ConfigureAwait(false);
            pausedAfter = clock.Elapsed.TotalSeconds;
            // Patroni answers a switchover on a whole second after the handover (it polls once a second): PgBouncer
            // resumes as soon as it points at the new leader, and the answer is read after that.
            using var handover = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var switchover = context.Patroni.SwitchoverAsync(context.Leader, candidate, handover.Token);
            try
            {
                pointedAt = await WaitForNewLeaderAsync(context, console, database, switchover, ct).ConfigureAwait(false);
            }
            catch
            {
                await handover.CancelAsync().ConfigureAwait(false);
                throw;
            }

            pointedAfter = clock.Elapsed.TotalSeconds;
            await ResumeAsync(console, database).ConfigureAwait(false);
            var resumedAfter = clock.Elapsed.TotalSeconds;
            var answer = await switchover.ConfigureAwait(false);
            handedOverAfter = clock.Elapsed.TotalSeconds;
            var pause = new ClientPauseReport(database, Round(pausedAfter), Round(handedOverAfter), Round(pointedAfter), pointedAt, Round(resumedAfter), Resumed: true);
            return new InjectionResult(
                $"PAUSE {database} (in {pause.PausedAfterSeconds:0.00} s) -> {request}: {answer} -> PgBouncer on {pointedAt} -> RESUME {database} after {pause.ResumedAfterSeconds:0.00} s",
                [context.Leader])
            { Pause = pause };
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or PatroniApiException)
        {
            // Always resume, whatever failed: a pause left behind would stall every pooled client until query_wait_timeout.
            var resumed = await ResumeAsync(console, database).ConfigureAwait(false);
            throw new InvalidOperationException(
                $"paused switchover failed after {clock.Elapsed.TotalSeconds:0.00} s: {PatroniClient.OneLine(ex)}; PgBouncer's {database} {(resumed ? "was resumed" : "could NOT be resumed: run console.sh \"RESUME " + database + "\" in " + console.Container)}", ex);
        }
        catch (OperationCanceledException)
        {
            await ResumeAsync(console, database).ConfigureAwait(false);
            throw;
        }
    }

    public Task<string?> HealAsync(DrillTarget target, CancellationToken ct) => Task.FromResult<string?>(null);

    /// <summary>
    /// While the switchover runs: PgBouncer's <paramref name="database"/> points at another node, which Patroni names
    /// the leader. A switchover Patroni refuses ends the wait with its reason.
    /// </summary>
    private static async Task<string> WaitForNewLeaderAsync(FaultContext context, PgBouncerConsole console, string database, Task<string> switchover, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        var members = context.Cluster.Members.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        string? host = null;
        while (deadline.Elapsed < s_repointTimeout)
        {
            if (switchover.IsFaulted || switchover.IsCanceled)
            {
                await switchover.ConfigureAwait(false);
            }

            host = (await console.DatabaseAsync(database, ct).ConfigureAwait(false))?.Host;
            if (host is not null && host != context.Leader && members.Contains(host)
                && (await context.Patroni.GetClusterAsync(ct).ConfigureAwait(false)).Leader?.Name == host)
            {
                return host;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), ct).ConfigureAwait(false);
        }

        var answer = switchover.IsCompletedSuccessfully ? $"Patroni answered \"{switchover.Result}\", yet " : "";
        throw new TimeoutException($"{answer}PgBouncer's {database} did not point at a new leader within {s_repointTimeout.TotalSeconds:0} s (it points at {host ?? "nothing"})");
    }

    /// <summary>RESUME with its own budget (even when the drill is cancelled); false when PgBouncer did not take it.</summary>
    private static async Task<bool> ResumeAsync(PgBouncerConsole console, string database)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await console.ResumeAsync(database, cts.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
        {
            return false;
        }
    }

    private static double Round(double? seconds) => Math.Round(seconds ?? 0, 3);
}
