using System.Diagnostics;
using HaStack.FailoverDrill.Drills;
using Npgsql;

namespace HaStack.FailoverDrill.Watch;

/// <summary>What to kill and where the service's writes are looked up.</summary>
/// <param name="Service">The measured service.</param>
/// <param name="ConnectionString">The database the service writes to (any host: the primary is chosen), read only after the fault.</param>
/// <param name="Container">The container the fault kills (a plain name).</param>
/// <param name="Kill">The kill command's template (<c>{container}</c> is replaced).</param>
/// <param name="Start">The start command's template, run after <paramref name="Hold"/>.</param>
/// <param name="Hold">How long the container stays down.</param>
/// <param name="Recover">How long after the start the service may take to acknowledge a write again.</param>
public sealed record WatchTarget(ServiceTarget Service, string ConnectionString, string Container, IReadOnlyList<string> Kill, IReadOnlyList<string> Start, TimeSpan Hold, TimeSpan Recover);

/// <summary>
/// A service watched through an outside fault, for a database the drills cannot drive (a single PostgreSQL, another
/// stack): the service's callers run (<see cref="ServiceLoad"/>), the container is killed, held down and started again,
/// and once the service acknowledges writes again every write is looked up in its table, as a drill's service path does.
/// </summary>
public sealed class ServiceWatch(WatchTarget target, DrillSettings settings, ILogger logger, HttpClient http)
{
    private static readonly TimeSpan s_warmUp = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_settle = TimeSpan.FromSeconds(5);

    public async Task<WatchReport> RunAsync(CancellationToken ct)
    {
        var report = new WatchReport
        {
            RunId = $"watch-{DateTime.UtcNow:yyyyMMdd'T'HHmmss}-{Guid.NewGuid().ToString("N")[..6]}",
            StartedAt = DateTimeOffset.UtcNow,
            HoldSeconds = target.Hold.TotalSeconds,
        };
        IReadOnlyList<string> kill, start;
        try
        {
            kill = HookCommand.Expand(target.Kill, target.Container, target.Container);
            start = HookCommand.Expand(target.Start, target.Container, target.Container);
            // The service takes a write, answers with its id and reads it back, and the table holds it: else nothing is touched.
            await ServiceLoad.CheckAsync(target.Service, http, target.ConnectionString, ct).ConfigureAwait(false);
        }
        catch (DrillRefusedException ex)
        {
            return report with { Outcome = DrillOutcome.Refused, Reason = ex.Message };
        }

        var clock = Stopwatch.StartNew();
        var ledger = new WriteLedger();
        await using var callers = new ServiceLoad(target.Service, http, ledger, clock, settings);
        callers.Start();
        await Task.Delay(s_warmUp, ct).ConfigureAwait(false);

        var problems = new List<string>();
        var injectedAt = clock.Elapsed;
        logger.LogInformation("Killing: {Command}", HookCommand.Describe(kill));
        if (!await TryRunAsync(kill, problems, ct).ConfigureAwait(false))
        {
            await callers.StopAsync().ConfigureAwait(false);
            return report with { Outcome = DrillOutcome.Refused, Reason = $"nothing was killed: {problems[0]}", DurationSeconds = clock.Elapsed.TotalSeconds };
        }

        await Task.Delay(target.Hold, ct).ConfigureAwait(false);
        logger.LogInformation("Starting: {Command}", HookCommand.Describe(start));
        var startedAgain = clock.Elapsed;
        await TryRunAsync(start, problems, ct).ConfigureAwait(false);

        // The kill returns before the process is gone, so "back" is judged on writes sent after the start: the outage
        // cannot outlast that acknowledgement. The service was back at the end of its longest gap in between.
        var afterStart = await WaitForAcknowledgementAsync(ledger, startedAgain, startedAgain + target.Recover, clock, ct).ConfigureAwait(false);
        if (afterStart is null)
        {
            problems.Add($"the service acknowledged no write sent within {target.Recover.TotalSeconds:0} s of the start");
        }

        var until = afterStart ?? clock.Elapsed;
        await Task.Delay(s_settle, ct).ConfigureAwait(false);
        await callers.StopAsync().ConfigureAwait(false);

        var records = ledger.Snapshot();
        var measured = DrillMeasurement.MeasureService(records, target.Service, injectedAt, until);
        report = report with
        {
            Kill = HookCommand.Describe(kill),
            Start = HookCommand.Describe(start),
            BackSeconds = afterStart is null ? null : DrillMeasurement.MeasureContinuity(records, ServiceTarget.PathName, injectedAt, until).RtoSeconds,
        };

        var stored = await ReadStoredAsync(callers, ct).ConfigureAwait(false);
        if (stored is null)
        {
            problems.Add("the service's table could not be read after the fault: its writes are unchecked");
            return report with { Outcome = DrillOutcome.Failed, Reason = string.Join("; ", problems), Service = measured, DurationSeconds = clock.Elapsed.TotalSeconds };
        }

        var check = LedgerChecker.Check(records, stored);
        if (check.Lost.Count > 0)
        {
            problems.Add($"{check.Lost.Count} acknowledged writes lost");
        }

        if (check.FailedButPresent.Count > 0 || check.Unexpected.Count > 0)
        {
            problems.Add($"{check.FailedButPresent.Count + check.Unexpected.Count} writes stored that the service refused or never got");
        }

        return report with
        {
            Outcome = problems.Count == 0 ? DrillOutcome.Passed : DrillOutcome.Failed,
            Reason = problems.Count == 0 ? null : string.Join("; ", problems),
            Service = callers.Checked(measured, check, records, stored),
            Check = check,
            DurationSeconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
        };
    }

    private async Task<bool> TryRunAsync(IReadOnlyList<string> command, List<string> problems, CancellationToken ct)
    {
        try
        {
            await HookCommand.RunAsync(command, ct).ConfigureAwait(false);
            return true;
        }
        catch (InvalidOperationException ex)
        {
            logger.LogWarning("{Command} failed: {Error}", HookCommand.Describe(command), ex.Message);
            problems.Add(ex.Message);
            return false;
        }
    }

    /// <summary>When the first write sent after <paramref name="since"/> was acknowledged (run clock), waiting until <paramref name="deadline"/>.</summary>
    private static async Task<TimeSpan?> WaitForAcknowledgementAsync(WriteLedger ledger, TimeSpan since, TimeSpan deadline, Stopwatch clock, CancellationToken ct)
    {
        while (true)
        {
            var first = ledger.Snapshot().Where(r => r.Outcome == WriteOutcome.Acknowledged && r.Started > since).MinBy(r => r.Finished);
            if (first is not null)
            {
                return first.Finished;
            }

            if (clock.Elapsed > deadline)
            {
                return null;
            }

            await Task.Delay(200, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The service's writes in its table, through a primary of the connection string; null if none answers within a minute.</summary>
    private async Task<List<WriteKey>?> ReadStoredAsync(ServiceLoad callers, CancellationToken ct)
    {
        var builder = new NpgsqlConnectionStringBuilder(target.ConnectionString) { Pooling = false, Timeout = 5, CommandTimeout = 30 };
        await using var source = new NpgsqlDataSourceBuilder(builder.ConnectionString).BuildMultiHost().WithTargetSession(TargetSessionAttributes.Primary);
        try
        {
            return await callers.ReadStoredAsync(source, TimeSpan.FromSeconds(60), logger, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }
}
