using System.Globalization;
using System.Text;
using HaStack.FailoverDrill.Cli;
using HaStack.FailoverDrill.Drills;

namespace HaStack.FailoverDrill.Soak;

/// <summary>One fault of a soak: its drill report (judged on its own window of the ledger) and what the set checker found in that window.</summary>
/// <param name="Index">1, 2, … in the order the seed drew them.</param>
/// <param name="StartedSeconds">When the fault's window began (waiting for a healthy cluster included), on the soak's clock.</param>
/// <param name="Report">The fault as a drill: injection, effect, gaps per path, healing, verdict.</param>
/// <param name="Lost">Acknowledged writes started in this window and missing at the end.</param>
/// <param name="Unknown">Writes started in this window whose outcome the client could not know.</param>
/// <param name="Recovered">Of those, the ones present at the end.</param>
/// <param name="SplitBrainSeconds">The longest stretch with two primaries committing writes in this window.</param>
public sealed record SoakFault(int Index, double StartedSeconds, DrillReport Report, int Lost, int Unknown, int Recovered, double SplitBrainSeconds);

/// <summary>A chaos soak: random faults one at a time under writers that never stop, and one set checker over the whole run.</summary>
public sealed record SoakReport
{
    public required string RunId { get; init; }
    public int Seed { get; init; }
    public DrillOutcome Outcome { get; init; }
    public string? Reason { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public double RequestedSeconds { get; init; }
    public double DurationSeconds { get; init; }
    public string? SynchronousModeName { get; init; }
    public IReadOnlyList<DrillKind> Kinds { get; init; } = [];
    public IReadOnlyList<SoakFault> Faults { get; init; } = [];

    /// <summary>The set checker over every write of the run: lost, unknown, recovered (unknown but present), duplicates.</summary>
    public CheckResult? Check { get; init; }
    public SplitBrainReport? SplitBrain { get; init; }
    public SynchronousReport? Synchronous { get; init; }

    /// <summary>The measured service's figures over the whole soak, from the first fault (null: no service).</summary>
    public ServiceReport? Service { get; init; }
    public IReadOnlyList<string> Notes { get; init; } = [];

    public int LostWrites => Check?.Lost.Count ?? 0;

    /// <summary>Per kind: count, outcomes, gaps and healing times (what bench/RESULTS.md records).</summary>
    public IReadOnlyDictionary<string, DrillSummary> ByKind => Faults.GroupBy(f => DrillKinds.Name(f.Report.Kind))
        .OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => DrillSummary.Of([.. g.Select(f => f.Report)]));

    public string ToTable()
    {
        var s = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        s.AppendLine(c, $"FailoverDrill chaos {RunId}: {Outcome.ToString().ToUpperInvariant()}{(Reason is null ? "" : " - " + Reason)}");
        s.AppendLine(c, $"  seed {Seed}, {DurationSeconds:0} s of {RequestedSeconds:0} s, synchronous_mode {SynchronousModeName ?? "?"}, kinds: {string.Join(' ', Kinds.Select(DrillKinds.Name))}");
        s.AppendLine("  #   at (s)  kind              outcome  leader        victims               gap pooled  gap direct  lost  unknown (recovered)  split brain  healthy");
        foreach (var f in Faults)
        {
            var r = f.Report;
            string Gap(string path) => r.Paths.FirstOrDefault(p => p.Path == path)?.WriteGapSeconds is { } g ? g.ToString("0.00", c) + " s" : "-";
            var leader = r.NewLeader is null ? r.OldLeader ?? "?" : $"{r.OldLeader}->{r.NewLeader}";
            s.AppendLine(c, $"  {f.Index,-3} {f.StartedSeconds,6:0}  {DrillKinds.Name(r.Kind),-16}  {r.Outcome.ToString().ToLowerInvariant(),-7}  {leader,-12}  {string.Join(',', r.Fault?.Victims ?? []),-20}  {Gap("pooled"),10}  {Gap("direct"),10}  {f.Lost,4}  {f.Unknown,7} ({f.Recovered})  {f.SplitBrainSeconds,9:0.0} s  {(r.Timing?.RejoinSeconds is { } h ? h.ToString("0.0", c) + " s" : "-"),7}");
            if (r.Outcome != DrillOutcome.Passed && r.Reason is not null)
            {
                s.AppendLine(c, $"        {r.Reason}");
            }
        }

        if (Service is { } sv)
        {
            s.AppendLine(c, $"  service           {sv.Summary()}");
            s.AppendLine(c, $"  service latency   {sv.LatencySummary()} (during: from the first fault on)");
        }

        if (Check is { } k)
        {
            s.AppendLine(c, $"  set checker       {k.Acknowledged} acknowledged, lost {k.Lost.Count}, unknown {k.Unknown} (recovered {k.UnknownPresent}, absent {k.UnknownAbsent}), duplicates {k.Duplicates.Count}, failed-but-present {k.FailedButPresent.Count}, unexpected {k.Unexpected.Count}{(k.Lost.Count > 0 ? "   lost: " + string.Join(' ', k.Lost.Take(10)) : "")}");
        }

        if (SplitBrain is { } sb)
        {
            s.AppendLine(c, $"  split brain       longest {sb.LongestSeconds:0.0} s with two primaries taking writes ({sb.Samples} samples)");
        }

        if (Synchronous is { } sync)
        {
            s.AppendLine(c, $"  synchronous       {(sync.WentAsynchronous ? $"asynchronous for {sync.AsynchronousSeconds:0.0} s in all" : "never asynchronous")}");
        }

        foreach (var note in Notes)
        {
            s.AppendLine(c, $"  note              {note}");
        }

        return s.ToString();
    }
}
