using System.Diagnostics;

namespace HaStack.Tests.Integration;

/// <summary>With persistence on, a restarted AppHost finds its data and can still log in to it.</summary>
public class PersistenceTests
{
    [Fact]
    public async Task RowWrittenBeforeAnAppHostRestartIsReadAfterIt()
    {
        // A stack name of its own: its volumes never touch a developer's "hastack" data, and are removed below.
        var name = "hastack-test-" + Guid.NewGuid().ToString("N")[..8];
        string[] args = ["--HaStack:Persistent=true", $"--HaStack:Name={name}", "--HaStack:EtcdMembers=1"];
        var marker = Guid.NewGuid().ToString("N");
        try
        {
            await using (var first = new ConfiguredCluster(args))
            {
                await first.InitializeAsync();
                await first.QueryAsync<int>("app", $"CREATE TABLE survivors (marker text); INSERT INTO survivors VALUES ('{marker}'); SELECT 1");
            }

            Assert.NotEmpty(await VolumesAsync(name));

            await using var second = new ConfiguredCluster(args);
            await second.InitializeAsync();
            Assert.Equal(1L, await second.QueryAsync<long>("app", $"SELECT count(*) FROM survivors WHERE marker = '{marker}'"));
            await Wait.UntilAsync("the row is on the replica too", Timeouts.Scaled(10), async ct =>
                await second.QueryAsync<long>("app-ro", $"SELECT count(*) FROM survivors WHERE marker = '{marker}'", ct) == 1);
        }
        finally
        {
            foreach (var volume in await VolumesAsync(name))
            {
                await DockerAsync("volume", "rm", "-f", volume);
            }
        }

        Assert.Empty(await VolumesAsync(name));
    }

    private sealed class ConfiguredCluster(string[] arguments) : HaStackCluster
    {
        protected override IEnumerable<string> Arguments => arguments;
    }

    private static async Task<string[]> VolumesAsync(string stackName) =>
        (await DockerAsync("volume", "ls", "-q", "--filter", $"name={stackName}-"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static async Task<string> DockerAsync(params string[] args)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }
}
