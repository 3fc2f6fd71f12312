using HaStack.HealthProbe.Cli;
using HaStack.HealthProbe.Probing;
using Npgsql;

namespace HealthProbe.Tests.Model;

/// <summary>The CLI's command line and <c>--dsn</c> mapping, without a cluster.</summary>
public class CheckArgumentsTests
{
    [Fact]
    public void DsnWithOneHostPerPatroniUrlMapsHostIToMemberI()
    {
        var args = CheckArguments.Parse(["--patroni", "http://localhost:8008,http://localhost:8009",
            "--dsn", "Host=localhost:5432,localhost:5433;Username=postgres;Password=secret"]);

        var hosts = args.Targets.Members.Select(m => new NpgsqlConnectionStringBuilder(m.ConnectionString)).Select(b => $"{b.Host}:{b.Port}");
        Assert.Equal(["localhost:5432", "localhost:5433"], hosts);
        Assert.Null(args.Targets.FallbackConnectionString);
        Assert.Equal(new Uri("http://localhost:8009/"), args.Targets.Members[1].RestUrl);
    }

    [Fact]
    public void DsnWithOtherHostCountKeepsOnlyTheCredentialsForPatronisAddresses()
    {
        var args = CheckArguments.Parse(["--patroni", "http://a:8008,http://b:8008", "--dsn", "postgresql://postgres:s%40cret@pg.example:5432/postgres"]);

        Assert.All(args.Targets.Members, m => Assert.Null(m.ConnectionString));
        var fallback = new NpgsqlConnectionStringBuilder(args.Targets.FallbackConnectionString);
        Assert.Equal("postgres", fallback.Username);
        Assert.Equal("s@cret", fallback.Password);
        Assert.Equal("postgres", fallback.Database);
    }

    [Theory]
    [InlineData(new string[0], "--patroni is required")]
    [InlineData(new[] { "--patroni", "localhost:8008" }, "is not an http(s) URL")]
    [InlineData(new[] { "--patroni", "http://a:8008", "--bogus" }, "unknown argument '--bogus'")]
    [InlineData(new[] { "--patroni", "http://a:8008", "--lag-warning", "soon" }, "not a positive number of seconds")]
    public void MalformedCommandLinesNameTheProblem(string[] argv, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => CheckArguments.Parse(argv));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidDsnIsRejectedWithoutEchoingIt()
    {
        var error = Assert.Throws<ArgumentException>(() => CheckArguments.Parse(["--patroni", "http://a:8008", "--dsn", "Password=hunter2;Nonsense Key=1"]));

        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HelpListsEveryOptionOnStdoutAndExitsZero()
    {
        var (exitCode, stdout, stderr) = await RunAsync("--help");

        Assert.Equal(CheckCommand.ExitHealthy, exitCode);
        Assert.Equal("", stderr);
        Assert.Contains("healthprobe check [options]", stdout, StringComparison.Ordinal);
        foreach (var option in (string[])["--patroni", "--dsn", "--pgbouncer", "--etcd", "--lag-warning", "--lag-critical", "--timeout", "--json", "--no-color"])
        {
            // Every option has a description beside it.
            Assert.Matches($@"(?m)^  {option}[ <].* {{2,}}\w", stdout);
        }
    }

    [Theory]
    [InlineData(new[] { "--patroni", "http://a:8008", "--bogus" }, "unknown argument '--bogus'")]
    [InlineData(new[] { "--bogus", "--patroni", "http://a:8008" }, "unknown argument '--bogus'")]
    [InlineData(new string[0], "--patroni")]
    [InlineData(new[] { "--patroni" }, "--patroni")]
    [InlineData(new[] { "--patroni", "http://a:8008", "--lag-warning", "-1" }, "--lag-warning: '-1' is not a positive number of seconds")]
    [InlineData(new[] { "--patroni", "http://a:8008", "--lag-critical", "abc" }, "--lag-critical: 'abc' is not a positive number of seconds")]
    [InlineData(new[] { "--patroni", "http://a:8008", "--timeout" }, "--timeout")]
    [InlineData(new[] { "--patroni", "http://a:8008", "--etcd", "etcd-1:2379" }, "--etcd: 'etcd-1:2379' is not an http(s) URL")]
    public async Task BadCommandLineIsOneLineOnStderrWithTheUsageExitCode(string[] argv, string expected)
    {
        var (exitCode, stdout, stderr) = await RunAsync(argv);

        Assert.Equal(CheckCommand.ExitCouldNotCheck, exitCode);
        Assert.Equal("", stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("healthprobe: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", line, StringComparison.Ordinal);
    }

    [Fact]
    public void OptionsKeepTheirDefaultsAndMeaning()
    {
        var args = CheckArguments.Parse(["--patroni", "http://a:8008", "--lag-warning", "2s", "--etcd", "http://e1:2381,http://e2:2381", "--json", "--no-color"]);

        Assert.Equal(TimeSpan.FromSeconds(2), args.Thresholds.LagWarning);
        Assert.Equal(new ProbeThresholds().LagCritical, args.Thresholds.LagCritical);
        Assert.Equal(TimeSpan.FromSeconds(2), args.Timeout);
        Assert.Equal(["e1:2381", "e2:2381"], args.Targets.Etcd.Select(e => e.Name));
        Assert.True(args.Json);
        Assert.True(args.NoColor);
        Assert.Null(args.Targets.PgBouncerMetrics);
        Assert.Equal(new Uri("http://b:9127/metrics"),
            CheckArguments.Parse(["--patroni", "http://a:8008", "--pgbouncer", "http://b:9127/metrics"]).Targets.PgBouncerMetrics);
    }

    [Fact]
    public void LsnTextAndBytePositionsRoundTrip()
    {
        Assert.Equal(0x16_B374D848L, ClusterProbe.ParseLsn("16/B374D848"));
        Assert.Equal("16/B374D848", ClusterProbe.FormatLsn(0x16_B374D848L));
        Assert.Null(ClusterProbe.ParseLsn("garbage"));
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = await CheckCommand.RunAsync(args, stdout, stderr);
        return (exitCode, stdout.ToString(), stderr.ToString());
    }
}
