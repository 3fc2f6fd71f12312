using System.Globalization;
using System.Text;
using HaStack.HealthProbe.Model;

namespace HaStack.HealthProbe.Cli;

/// <summary>The human report: one line per check with ✓ / ⚠ / ✗, then a summary line.</summary>
public static class ReportPrinter
{
    private const string Green = "\u001b[32m";
    private const string Yellow = "\u001b[33m";
    private const string Red = "\u001b[31m";
    private const string Bold = "\u001b[1m";
    private const string Reset = "\u001b[0m";

    public static string Format(ProbeReport report, bool color)
    {
        ArgumentNullException.ThrowIfNull(report);
        string Paint(string code, string text) => color ? code + text + Reset : text;

        var text = new StringBuilder();
        text.AppendLine(Paint(Bold, string.Create(CultureInfo.InvariantCulture,
            $"Patroni cluster {report.Scope ?? "?"}: {report.Members.Count} members, leader {report.Leader ?? "none"}, checked in {report.DurationSeconds * 1000:0} ms")));
        text.AppendLine($"  Patroni timing (read back from /config): {report.Settings.Timing}");
        foreach (var check in report.Checks)
        {
            var mark = check.Severity switch
            {
                Severity.Ok => Paint(Green, "✓"),
                Severity.Warning => Paint(Yellow, "⚠"),
                _ => Paint(Red, "✗"),
            };
            text.AppendLine($"  {mark} {check.Message}");
        }

        var warnings = report.Checks.Count(c => c.Severity == Severity.Warning);
        var critical = report.Checks.Count(c => c.Severity == Severity.Critical);
        var summary = $"{report.Verdict}: {report.Checks.Count - warnings - critical} ok, {warnings} warning(s), {critical} critical";
        text.AppendLine(report.Verdict switch
        {
            Verdict.Healthy => Paint(Green + Bold, summary),
            Verdict.Degraded => Paint(Yellow + Bold, summary),
            _ => Paint(Red + Bold, summary),
        });
        return text.ToString();
    }
}
