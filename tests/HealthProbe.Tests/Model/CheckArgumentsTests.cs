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
    [InlineData(new string[0], "--patroni <url>")]
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
    public void LsnTextAndBytePositionsRoundTrip()
    {
        Assert.Equal(0x16_B374D848L, ClusterProbe.ParseLsn("16/B374D848"));
        Assert.Equal("16/B374D848", ClusterProbe.FormatLsn(0x16_B374D848L));
        Assert.Null(ClusterProbe.ParseLsn("garbage"));
    }
}
