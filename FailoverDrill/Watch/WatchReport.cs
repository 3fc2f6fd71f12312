using System.Globalization;
using System.Text;
using HaStack.FailoverDrill.Drills;

namespace HaStack.FailoverDrill.Watch;

/// <summary>
/// What <see cref="ServiceWatch"/> saw: the service's callers through an outside fault (a container killed, held down,
/// started again), and every write they were told about checked against the service's table.
/// </summary>
public sealed record WatchReport
{
    public required string RunId { get; init; }
    public DrillOutcome Outcome { get; init; }
    public string? Reason { get; init; }
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>The kill command as it ran.</summary>
    public string? Kill { get; init; }

    /// <summary>The start command as it ran, after <see cref="HoldSeconds"/>.</summary>
    public string? Start { get; init; }

    /// <summary>How long the container was left down.</summary>
    public double HoldSeconds { get; init; }

    /// <summary>
    /// From the kill until the end of the service's longest gap between acknowledged writes: when it was back (null: no
    /// write sent after the start was acknowledged within the watch's bound).
    /// </summary>
    public double? BackSeconds { get; init; }

    /// <summary>The service's callers: sent, failed by status, unknown, longest gap, latency, lost.</summary>
    public ServiceReport? Service { get; init; }

    /// <summary>Every write's answer against the table: lost, failed-but-present (a 4xx that was stored), unknown recovered.</summary>
    public CheckResult? Check { get; init; }

    public double DurationSeconds { get; init; }

    /// <summary>Text for a terminal: the outcome, the fault, the service's figures and the check.</summary>
    public string ToTable()
    {
        var c = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        s.AppendLine(c, $"FailoverDrill watch {RunId}: {Outcome.ToString().ToUpperInvariant()}{(Reason is null ? "" : " - " + Reason)}");
        if (Kill is not null)
        {
            s.AppendLine(c, $"  fault             {Kill}, held {HoldSeconds:0} s, then {Start ?? "nothing"}");
            s.AppendLine(c, $"  service back      {(BackSeconds is { } back ? back.ToString("0.00", c) + " s after the kill" : "never, within the watch")}");
        }

        if (Service is { } sv)
        {
            s.AppendLine(c, $"  service           {sv.Summary()}");
            s.AppendLine(c, $"  service latency   {sv.LatencySummary()}");
            foreach (var lost in sv.Lost.Take(10))
            {
                s.AppendLine(c, $"  service lost      {lost}");
            }
        }

        if (Check is { } k)
        {
            s.AppendLine(c, $"  checker           lost {k.Lost.Count}, unknown {k.Unknown} ({k.UnknownPresent} stored, {k.UnknownAbsent} absent), failed-but-present {k.FailedButPresent.Count}, duplicates {k.Duplicates.Count}");
        }

        s.Append(c, $"  duration          {DurationSeconds:0.0} s");
        return s.ToString();
    }
}
