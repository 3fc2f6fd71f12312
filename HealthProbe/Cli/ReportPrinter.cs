using System.Globalization;
using HaStack.HealthProbe.Model;
using Spectre.Console;

namespace HaStack.HealthProbe.Cli;

/// <summary>The human report: a header, Patroni's timing, a table with one row per check (✓ / ⚠ / ✗), a summary line.</summary>
public static class ReportPrinter
{
    public static void Write(IAnsiConsole console, ProbeReport report)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(report);
        console.Write(new Text(string.Create(CultureInfo.InvariantCulture,
            $"Patroni cluster {report.Scope ?? "?"}: {report.Members.Count} members, leader {report.Leader ?? "none"}, checked in {report.DurationSeconds * 1000:0} ms"),
            console.Paint(new Style(decoration: Decoration.Bold))));
        console.WriteLine();
        console.WriteLine($"  Patroni timing (read back from /config): {report.Settings.Timing}");

        var table = new Table().AddColumn("check").AddColumn("finding");
        foreach (var check in report.Checks)
        {
            var (mark, color) = Mark(check.Severity);
            table.AddRow(new Text(check.Subject), new Paragraph().Append(mark, console.Paint(new Style(color))).Append(" " + check.Message));
        }

        console.Write(new Padder(table, new Padding(2, 0, 0, 0)));

        var warnings = report.Checks.Count(c => c.Severity == Severity.Warning);
        var critical = report.Checks.Count(c => c.Severity == Severity.Critical);
        var (_, verdictColor) = Mark(report.Verdict switch
        {
            Verdict.Healthy => Severity.Ok,
            Verdict.Degraded => Severity.Warning,
            _ => Severity.Critical,
        });
        console.Write(new Text($"{report.Verdict}: {report.Checks.Count - warnings - critical} ok, {warnings} warning(s), {critical} critical",
            console.Paint(new Style(verdictColor, decoration: Decoration.Bold))));
        console.WriteLine();
    }

    private static (string Mark, Color Color) Mark(Severity severity) => severity switch
    {
        Severity.Ok => ("✓", Color.Green),
        Severity.Warning => ("⚠", Color.Yellow),
        _ => ("✗", Color.Red),
    };
}
