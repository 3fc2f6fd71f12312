using HaStack.FailoverDrill.Cli;

namespace FailoverDrill.Tests.Cli;

/// <summary>The CLI as a user runs it: a separate process, its exit code and what it prints.</summary>
public class CommandLineTests
{
    [Theory]
    [InlineData("run --kind meltdown --patroni http://localhost:8008 --dsn Host=localhost", "--kind is 'meltdown'")]
    [InlineData("run --kind crash --patroni http://localhost:8008 --dsn Host=localhost", "--kill-command")]
    [InlineData("run --kind switchover --dsn Host=localhost", "--patroni is required")]
    [InlineData("run --kind switchover --patroni ftp://x --dsn Host=localhost", "--patroni has 'ftp://x'")]
    [InlineData("run --kind switchover --rounds 0 --patroni http://localhost:8008 --dsn Host=localhost", "--rounds is '0'")]
    [InlineData("explode", "unknown command 'explode'")]
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

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunCliAsync(string arguments)
    {
        var result = await CommandRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "FailoverDrill.dll"), .. arguments.Split(' ')], Timeouts.Scaled(60));
        return (result.ExitCode, result.Stdout, result.Stderr);
    }
}
