using HaStack.CommandLine;
using HaStack.HealthProbe.Cli;
using HaStack.HealthProbe.Model;
using HaStack.HealthProbe.Probing;
using Spectre.Console;

namespace HealthProbe.Tests.Model;

/// <summary>The CLI's text report on a crafted observation: what a person reads, and no ANSI escape off a terminal.</summary>
public class ReportPrinterTests
{
    private static readonly ClusterSettings s_settings = new(Ttl: 20, LoopWait: 1, MaximumLagOnFailover: 1_048_576, SynchronousMode: true, RetryTimeout: 3);

    private static ProbeReport Report(bool replicaLost = false) => VerdictRules.Evaluate(DateTimeOffset.UnixEpoch,
    [
        new MemberStatus
        {
            Name = "pg-1", Reachable = true, SqlReachable = true, Role = "leader", State = "running", Timeline = 1, InRecovery = false,
            CurrentLsn = "0/3000060", LagBytes = 0, LagSeconds = 0,
            Standbys = [new StandbyStatus("pg-2", "10.0.0.2", "streaming", "sync", 0, 0, 0, null, null, null)],
        },
        replicaLost
            ? new MemberStatus { Name = "pg-2", Error = "connection refused [::1]:8008" }
            : new MemberStatus
            {
                Name = "pg-2", Reachable = true, SqlReachable = true, Role = "sync_standby", State = "running", Timeline = 1, InRecovery = true,
                Streaming = true, SyncState = "sync", ReplayPaused = false, LagBytes = 0, LagSeconds = 0,
            },
    ], s_settings, new ProbeThresholds(), scope: "hastack");

    [Fact]
    public void HealthyReportIsATableOfChecksBetweenTheTimingAndTheSummary()
    {
        var text = Render(Report());

        Assert.Contains("Patroni cluster hastack: 2 members, leader pg-1", text, StringComparison.Ordinal);
        Assert.Contains("Patroni timing (read back from /config): ttl 20 s, loop_wait 1 s, retry_timeout 3 s", text, StringComparison.Ordinal);
        Assert.Contains("✓ failover ready", text, StringComparison.Ordinal);
        Assert.Matches(@"│ check\s+│ finding\s+│", text);
        Assert.DoesNotContain("✗", text, StringComparison.Ordinal);
        Assert.EndsWith("Healthy: " + Report().Checks.Count + " ok, 0 warning(s), 0 critical" + Environment.NewLine, text, StringComparison.Ordinal);
    }

    [Fact]
    public void FindingsKeepTheirBracketsAndAreNotWrappedOffATerminal()
    {
        var report = Report(replicaLost: true);
        var text = Render(report);

        Assert.NotEqual(Verdict.Healthy, report.Verdict);
        var lost = report.Checks.First(c => c.Message.Contains("unreachable", StringComparison.Ordinal));
        Assert.Contains(lost.Message, text, StringComparison.Ordinal);
        Assert.Contains("[::1]:8008", text, StringComparison.Ordinal);
    }

    [Fact]
    public void OffATerminalThereIsNoAnsiEscapeAndNoStyleEvenWithoutNoColor()
    {
        using var writer = new StringWriter();
        var console = ReportConsole.Create(writer, noColor: false);

        Assert.False(console.Profile.Capabilities.Ansi);
        ReportPrinter.Write(console, Report(replicaLost: true));
        Assert.DoesNotContain("\u001b", writer.ToString(), StringComparison.Ordinal);
        // Without ANSI, Spectre would set the process console's colors for any styled text.
        Assert.Equal(Style.Plain, console.Paint(new Style(Color.Red, decoration: Decoration.Bold)));
    }

    [Fact]
    public void WithAnsiTheMarksAreColored()
    {
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.Yes, ColorSystem = ColorSystemSupport.Standard,
            Enrichment = new ProfileEnrichment { UseDefaultEnrichers = false },
        });

        ReportPrinter.Write(console, Report());

        Assert.Contains("\u001b[32m✓", writer.ToString(), StringComparison.Ordinal);
    }

    private static string Render(ProbeReport report)
    {
        using var writer = new StringWriter();
        ReportPrinter.Write(ReportConsole.Create(writer, noColor: true), report);
        return writer.ToString();
    }
}
