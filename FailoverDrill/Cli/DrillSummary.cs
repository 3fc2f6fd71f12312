using System.Globalization;
using System.Text;
using HaStack.FailoverDrill.Drills;

namespace HaStack.FailoverDrill.Cli;

/// <summary>Statistics over several drills of one kind (what bench/ records).</summary>
public sealed record DrillSummary(
    int Runs,
    int Passed,
    int Failed,
    int Refused,
    int LostWrites,
    int UnknownWrites,
    IReadOnlyDictionary<string, Stats> Rto,
    IReadOnlyDictionary<string, Stats> WriteGap,
    Stats? Detection,
    Stats? NewLeader,
    Stats? Rejoin,
    double SplitBrainMaxSeconds = 0)
{
    public static DrillSummary Of(IReadOnlyList<DrillReport> reports)
    {
        var ran = reports.Where(r => r.Outcome != DrillOutcome.Refused).ToList();
        var paths = ran.SelectMany(r => r.Paths).GroupBy(p => p.Path).ToList();
        return new DrillSummary(
            reports.Count,
            reports.Count(r => r.Outcome == DrillOutcome.Passed),
            reports.Count(r => r.Outcome == DrillOutcome.Failed),
            reports.Count(r => r.Outcome == DrillOutcome.Refused),
            ran.Sum(r => r.LostWrites),
            ran.Sum(r => r.UnknownWrites),
            paths.ToDictionary(g => g.Key, g => Stats.Of(g.Select(p => p.RtoSeconds)))!,
            paths.ToDictionary(g => g.Key, g => Stats.Of(g.Select(p => p.WriteGapSeconds)))!,
            Stats.Of(ran.Select(r => r.Timing?.DetectionSeconds)),
            Stats.Of(ran.Select(r => r.Timing?.NewLeaderSeconds)),
            Stats.Of(ran.Select(r => r.Timing?.RejoinSeconds)),
            ran.Select(r => r.SplitBrain?.LongestSeconds ?? 0).DefaultIfEmpty(0).Max());
    }

    public string ToTable()
    {
        var s = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        s.AppendLine(c, $"Summary: {Runs} drills, {Passed} passed, {Failed} failed, {Refused} refused; lost {LostWrites}, unknown {UnknownWrites}, longest split brain {SplitBrainMaxSeconds:0.0} s");
        s.AppendLine("  measure              n    min      median   p95      max");
        foreach (var (name, stats) in Rto.Select(kv => ($"RTO {kv.Key}", (Stats?)kv.Value)).Concat(WriteGap.Select(kv => ($"write gap {kv.Key}", (Stats?)kv.Value)))
                     .Append(("detection", Detection)).Append(("new leader", NewLeader)).Append(("healthy again", Rejoin)))
        {
            if (stats is not null)
            {
                s.AppendLine(c, $"  {name,-18} {stats.Count,3}  {stats.Min,7:0.00}  {stats.Median,7:0.00}  {stats.P95,7:0.00}  {stats.Max,7:0.00}");
            }
        }

        return s.ToString();
    }
}

/// <summary>min / median / p95 / max in seconds (nearest-rank percentiles).</summary>
public sealed record Stats(int Count, double Min, double Median, double P95, double Max)
{
    public static Stats? Of(IEnumerable<double?> values)
    {
        var sorted = values.Where(v => v is not null).Select(v => v!.Value).Order().ToArray();
        if (sorted.Length == 0)
        {
            return null;
        }

        double Rank(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Stats(sorted.Length, sorted[0], Rank(0.5), Rank(0.95), sorted[^1]);
    }
}
