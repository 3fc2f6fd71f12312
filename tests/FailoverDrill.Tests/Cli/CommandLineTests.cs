using HaStack.FailoverDrill.Cli;
using HaStack.FailoverDrill.Drills;

namespace FailoverDrill.Tests.Cli;

/// <summary>The CLI as a user runs it: a separate process, its exit code and what it prints.</summary>
public class CommandLineTests
{
    [Theory]
    [InlineData("run --kind meltdown --patroni http://localhost:8008 --dsn Host=localhost", "--kind is 'meltdown'")]
    [InlineData("run --kind crash --patroni http://localhost:8008 --dsn Host=localhost", "--kill-command")]
    [InlineData("run --kind partition --patroni http://localhost:8008 --dsn Host=localhost", "--kind partition needs --fault-image")]
    [InlineData("run --kind partition --fault-image=--privileged --patroni http://localhost:8008 --dsn Host=localhost", "--fault-image: image '--privileged' is not allowed")]
    [InlineData("run --kind etcd-quorum-loss --kill-command x --start-command y --patroni http://localhost:8008 --dsn Host=localhost", "--kind etcd-quorum-loss needs --etcd")]
    [InlineData("run --kind etcd-member-loss --kill-command x --start-command y --etcd etcd-1 --patroni http://localhost:8008 --dsn Host=localhost", "--etcd has 'etcd-1'")]
    [InlineData("run --kind replica-loss --kill-command x --patroni http://localhost:8008 --dsn Host=localhost", "--kind replica-loss needs --start-command")]
    [InlineData("run --kind dcs-partition --hold 0 --fault-image img --patroni http://localhost:8008 --dsn Host=localhost", "--hold is '0'")]
    [InlineData("run --kind switchover --dsn Host=localhost", "--patroni is required")]
    [InlineData("run --kind switchover --patroni ftp://x --dsn Host=localhost", "--patroni has 'ftp://x'")]
    [InlineData("run --kind switchover --rounds 0 --patroni http://localhost:8008 --dsn Host=localhost", "--rounds is '0'")]
    [InlineData("run --kind chaos --patroni http://localhost:8008 --dsn Host=localhost", "--kind chaos needs --duration")]
    [InlineData("run --kind chaos --duration 10x --patroni http://localhost:8008 --dsn Host=localhost", "--duration is '10x'")]
    [InlineData("run --kind chaos --duration 10m --rounds 3 --patroni http://localhost:8008 --dsn Host=localhost", "--rounds is for one kind of drill")]
    [InlineData("run --kind crash --seed 3 --kill-command x --patroni http://localhost:8008 --dsn Host=localhost", "--duration and --seed are for --kind chaos")]
    [InlineData("run --kind chaos --duration 10m --seed=-1 --patroni http://localhost:8008 --dsn Host=localhost", "--seed is '-1'")]
    [InlineData("explode", "unknown command 'explode'")]
    [InlineData("run --kind switchover --patroni http://localhost:8008 --dsn Host=localhost --bogus", "unknown argument '--bogus'")]
    [InlineData("run --kind switchover --rounds abc --patroni http://localhost:8008 --dsn Host=localhost", "--rounds is 'abc'")]
    public async Task BadArgumentPrintsOneErrorLineAndExitsWithUsageCode(string arguments, string expected)
    {
        var (exitCode, stdout, stderr) = await RunCliAsync(arguments);

        Assert.Equal(DrillCommandLine.ExitUsage, exitCode);
        Assert.Equal("", stdout.Trim());
        var line = Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("error: ", line);
        Assert.Contains(expected, line);
    }

    [Fact]
    public async Task UnreachableClusterIsRefusedWithOneLineAndNoStackTrace()
    {
        var (exitCode, stdout, stderr) = await RunCliAsync("run --kind switchover --patroni http://127.0.0.1:9 --dsn Host=127.0.0.1;Port=9 --rest-password x");

        Assert.Equal(DrillCommandLine.ExitRefused, exitCode);
        Assert.Equal("", stdout.Trim());
        var line = Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("error: drill refused: cluster unreachable", line);
        Assert.DoesNotContain("Exception", stderr);
    }

    [Fact]
    public async Task AWatchOfAServiceThatDoesNotAnswerIsRefusedBeforeAnythingIsKilled()
    {
        var unused = Ports.Unused();

        // The kill command would fail loudly if it ran: "false" exits 1.
        var (exitCode, stdout, stderr) = await MainAsync(["watch", "--service-url", $"http://127.0.0.1:{unused}", "--service-table", "orders", "--service-key", "k",
            "--service-body", "{key}", "--dsn", "Host=127.0.0.1;Port=9", "--container", "db", "--kill-command", "false {container}"]);

        Assert.Equal(DrillCommandLine.ExitRefused, exitCode);
        Assert.Contains("REFUSED", stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: watch refused: the service at http://127.0.0.1:{unused}/ does not answer POST /orders", line);
    }

    [Theory]
    [InlineData("run --help")]
    [InlineData("run -h")]
    [InlineData("run --kind meltdown --help")]
    public async Task HelpListsEveryOptionWithItsDescriptionAndExitsZero(string arguments)
    {
        var (exitCode, stdout, stderr) = await MainAsync(arguments.Split(' '));

        Assert.Equal(DrillCommandLine.ExitPassed, exitCode);
        Assert.Equal("", stderr);
        Assert.Contains("FailoverDrill run [options]", stdout);
        foreach (var option in (string[])["--kind", "--rounds", "--patroni", "--dsn", "--direct-dsn", "--kill-command", "--start-command", "--containers", "--engine", "--fault-image", "--etcd", "--hold", "--duration", "--seed",
                     "--rest-user", "--rest-password", "--health-probe", "--candidate", "--json", "--verbose", "--no-color"])
        {
            Assert.Matches($@"(?m)^  {option}[ <].* {{2,}}\w", stdout);
        }

        Assert.Contains("HASTACK_PATRONI_PASSWORD", stdout);
    }

    [Fact]
    public async Task HelpWithoutACommandNamesTheRunAndWatchCommands()
    {
        var (exitCode, stdout, stderr) = await RunCliAsync("--help");

        Assert.Equal(DrillCommandLine.ExitPassed, exitCode);
        Assert.Equal("", stderr);
        Assert.Matches(@"(?m)^  run +\w", stdout);
        Assert.Matches(@"(?m)^  watch +\w", stdout);
    }

    [Theory]
    [InlineData(new[] { "run", "--kind", "switchover", "--patroni", "http://a:8008", "--dsn", "Host=a", "--bogus" }, "unknown argument '--bogus'")]
    [InlineData(new[] { "run", "--bogus", "--kind", "switchover", "--patroni", "http://a:8008", "--dsn", "Host=a" }, "unknown argument '--bogus'")]
    [InlineData(new[] { "run", "--kind", "switchover", "--rounds", "abc", "--patroni", "http://a:8008", "--dsn", "Host=a" }, "--rounds is 'abc'")]
    [InlineData(new[] { "run", "--kind", "switchover", "--rounds", "--patroni", "http://a:8008", "--dsn", "Host=a" }, "--rounds")]
    [InlineData(new[] { "run", "--kind", "switchover", "--patroni", "http://a:8008", "--dsn", "Port=5432" }, "--dsn has no Host")]
    [InlineData(new[] { "run", "--kind", "switchover", "--patroni", "http://a:8008", "--dsn", "Host=a", "--containers", "pg-1" }, "--containers has 'pg-1'")]
    [InlineData(new[] { "run", "--kind", "switchover", "--patroni", "http://a:8008", "--dsn", "Host=a", "--health-probe", "probe:8080" }, "--health-probe is 'probe:8080'")]
    [InlineData(new[] { "run", "--kind", "switchover", "--patroni", "http://a:8008", "--dsn", "Host=a", "--candidate", "pg-2", "--candidate", "pg-3" }, "--candidate")]
    [InlineData(new[] { "run", "--kind", "switchover", "--patroni", "http://a:8008", "--dsn", "Host=a", "--switchover", "gentle" }, "--switchover is 'gentle'; allowed: paused, plain")]
    [InlineData(new[] { "run", "--kind", "switchover", "--patroni", "http://a:8008", "--dsn", "Host=a", "--switchover", "paused" }, "--switchover paused needs --pgbouncer-container")]
    [InlineData(new[] { "run", "--kind", "freeze", "--patroni", "http://a:8008", "--dsn", "Host=a", "--switchover", "plain" }, "--switchover is for --kind switchover")]
    [InlineData(new[] { "run", "--kind", "switchover", "--patroni", "http://a:8008", "--dsn", "Host=a", "--pgbouncer-container", "pgb;rm -rf /" }, "--pgbouncer-container name 'pgb;rm -rf /' is not allowed")]
    [InlineData(new[] { "run", "--kind", "crash", "--patroni", "http://a:8008", "--dsn", "Host=a", "--service-url", "api:80" }, "--service-url is 'api:80'")]
    [InlineData(new[] { "run", "--kind", "crash", "--patroni", "http://a:8008", "--dsn", "Host=a", "--service-url", "http://api", "--service-table", "orders;drop table x", "--service-key", "k", "--service-body", "{key}" }, "--service-table: 'orders;drop table x' is not a plain name")]
    [InlineData(new[] { "run", "--kind", "crash", "--patroni", "http://a:8008", "--dsn", "Host=a", "--service-url", "http://api", "--service-table", "orders", "--service-key", "k", "--service-body", "{}" }, "--service-body: The write body must hold {key}")]
    [InlineData(new[] { "watch", "--service-url", "http://api", "--service-table", "orders", "--service-key", "k", "--service-body", "{key}", "--dsn", "Host=a" }, "--container is required")]
    [InlineData(new[] { "watch", "--dsn", "Host=a", "--container", "db" }, "--service-url is required")]
    [InlineData(new[] { "watch", "--service-url", "http://api", "--service-table", "orders", "--service-key", "k", "--service-body", "{key}", "--dsn", "Host=a", "--container", "db;rm -rf /" }, "--container name 'db;rm -rf /' is not allowed")]
    [InlineData(new[] { "watch", "--service-url", "http://api", "--service-table", "orders", "--service-key", "k", "--service-body", "{key}", "--dsn", "Host=a", "--container", "db", "--hold", "-1" }, "--hold is '-1'; allowed: seconds from 0 to 3600")]
    [InlineData(new[] { "watch", "--service-url", "http://api", "--service-table", "orders", "--service-key", "k", "--service-body", "{key}", "--dsn", "Port=5432", "--container", "db" }, "--dsn has no Host")]
    [InlineData(new[] { "watch", "--service-url", "http://api", "--service-table", "o rders", "--service-key", "k", "--service-body", "{key}", "--dsn", "Host=a", "--container", "db" }, "--service-table: 'o rders' is not a plain name")]
    [InlineData(new[] { "watch", "--service-url", "http://api", "--service-table", "orders", "--service-key", "k", "--service-body", "{key}", "--dsn", "Host=a", "--container", "db", "--kind", "crash" }, "unknown argument '--kind'")]
    [InlineData(new string[0], "missing command; expected: run or watch")]
    public async Task BadArgumentInProcessIsOneLineNamingTheOption(string[] argv, string expected)
    {
        var (exitCode, stdout, stderr) = await MainAsync(argv);

        Assert.Equal(DrillCommandLine.ExitUsage, exitCode);
        Assert.Equal("", stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains(expected, line);
        Assert.DoesNotContain("Exception", line);
    }

    [Fact]
    public void OptionsKeepTheirMeaningAndThePasswordFallsBackToTheEnvironment()
    {
        var before = Environment.GetEnvironmentVariable("HASTACK_PATRONI_PASSWORD");
        Environment.SetEnvironmentVariable("HASTACK_PATRONI_PASSWORD", "from-env");
        try
        {
            var options = DrillCommandLine.Parse(["--kind=Crash", "--patroni", "http://a:8008, http://b:8008", "--dsn", "Host=a", "--kill-command", "docker kill {container}",
                "--containers", "pg-1=c1,pg-2=c2", "--health-probe", "http://probe:8080", "--rounds", "3", "--json"]);
            var explicitPassword = DrillCommandLine.Parse(["--kind", "switchover", "--patroni", "http://a:8008", "--dsn", "Host=a", "--rest-password", "given"]);

            Assert.Equal(DrillKind.Crash, options.Kind);
            Assert.Equal(3, options.Rounds);
            Assert.Equal([new Uri("http://a:8008"), new Uri("http://b:8008")], options.Target.PatroniUrls);
            Assert.Equal("c2", options.Target.ContainerOf("pg-2"));
            Assert.Equal(new Uri("http://probe:8080/"), options.Target.HealthProbeUrl);
            Assert.Equal("patroni", options.Target.RestUser);
            Assert.Equal("from-env", options.Target.RestPassword);
            Assert.True(options.Json);
            Assert.False(options.Verbose);
            Assert.Equal("given", explicitPassword.Target.RestPassword);
            Assert.Equal(1, explicitPassword.Rounds);
        }
        finally
        {
            Environment.SetEnvironmentVariable("HASTACK_PATRONI_PASSWORD", before);
        }
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> MainAsync(string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = await DrillCommandLine.MainAsync(args, stdout, stderr, CancellationToken.None);
        return (exitCode, stdout.ToString(), stderr.ToString());
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunCliAsync(string arguments)
    {
        var result = await CommandRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "FailoverDrill.dll"), .. arguments.Split(' ')], Timeouts.Scaled(60));
        return (result.ExitCode, result.Stdout, result.Stderr);
    }
}
