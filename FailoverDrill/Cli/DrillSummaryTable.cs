using System.Globalization;
using Spectre.Console;

namespace HaStack.FailoverDrill.Cli;

/// <summary>The human summary of several drills: counts, then min / median / p95 / max of every measure in a table.</summary>
public static class DrillSummaryTable
{
    public static void Write(IAnsiConsole console, DrillSummary summary)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(summary);
        var c = CultureInfo.InvariantCulture;
        var clean = summary.Failed == 0 && summary.Refused == 0 && summary.LostWrites == 0 && summary.SplitBrainMaxSeconds == 0;
        console.Write(new Text(string.Create(c,
                $"Summary: {summary.Runs} drills, {summary.Passed} passed, {summary.Failed} failed, {summary.Refused} refused; lost {summary.LostWrites}, unknown {summary.UnknownWrites}, longest split brain {summary.SplitBrainMaxSeconds:0.0} s"),
            console.Paint(new Style(clean ? Color.Green : Color.Red, decoration: Decoration.Bold))));
        console.WriteLine();

        var table = new Table().AddColumn("measure");
        foreach (var name in (string[])["n", "min", "median", "p95", "max"])
        {
            table.AddColumn(new TableColumn(name).RightAligned());
        }

        var measures = summary.Rto.Select(kv => ($"RTO {kv.Key}", (Stats?)kv.Value))
            .Concat(summary.WriteGap.Select(kv => ($"write gap {kv.Key}", (Stats?)kv.Value)))
            .Append(("detection", summary.Detection)).Append(("new leader", summary.NewLeader)).Append(("healthy again", summary.Rejoin));
        foreach (var (name, stats) in measures)
        {
            if (stats is not null)
            {
                table.AddRow(new Text(name), new Text(stats.Count.ToString(c)), new Text(Sec(stats.Min)), new Text(Sec(stats.Median)), new Text(Sec(stats.P95)), new Text(Sec(stats.Max)));
            }
        }

        console.Write(DrillReportTable.Indented(table));

        string Sec(double v) => v.ToString("0.00", c) + " s";
    }
}
