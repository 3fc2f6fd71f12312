using HaStack.FailoverDrill.Drills;

namespace FailoverDrill.Tests.Model;

/// <summary>Fault hooks are argument lists: nothing a cluster reports becomes shell syntax.</summary>
public class HookCommandTests
{
    [Theory]
    [InlineData("pg-1; touch /tmp/owned")]
    [InlineData("pg-1$(id)")]
    [InlineData("pg-1`id`")]
    [InlineData("pg 1")]
    [InlineData("-rm")]
    [InlineData("pg-1|cat")]
    public void AMemberNameWithShellMetacharactersIsRefusedWithTheReason(string member)
    {
        var error = Assert.Throws<DrillRefusedException>(() => HookCommand.Expand(["docker", "kill", "{container}"], member, "hastack-pg-1"));
        Assert.Equal($"member name '{member}' is not allowed in a fault hook: only letters, digits, '.', '_' and '-' (starting with a letter or digit)", error.Message);
    }

    [Fact]
    public void AContainerNameWithShellMetacharactersIsRefusedToo()
    {
        var error = Assert.Throws<DrillRefusedException>(() => HookCommand.Expand(["docker", "kill", "{container}"], "pg-1", "x;reboot"));
        Assert.StartsWith("container name 'x;reboot' is not allowed", error.Message);
    }

    [Fact]
    public void PlaceholdersAreReplacedInsideEachArgumentOnly()
    {
        Assert.Equal(["docker", "kill", "hastack-ab12-pg-2", "--label=pg-2"],
            HookCommand.Expand(["docker", "kill", "{container}", "--label={member}"], "pg-2", "hastack-ab12-pg-2"));
        Assert.Equal(["docker", "kill", "{container}"], HookCommand.Parse("docker  kill {container}"));
    }

    [Fact]
    public async Task AHookRunsWithoutAShellSoMetacharactersInAnArgumentStayLiteral()
    {
        var directory = Directory.CreateTempSubdirectory("hastack-hook-");
        try
        {
            // Through a shell this would create "a" and run "touch b"; as an argument list it is one file name.
            var name = Path.Combine(directory.FullName, "a;touch b");
            await HookCommand.RunAsync(["touch", name], default);
            Assert.Equal(["a;touch b"], directory.GetFiles().Select(f => f.Name));

            var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => HookCommand.RunAsync(["false"], default));
            Assert.Equal("'false' exited with 1: ", failure.Message);
            var missing = await Assert.ThrowsAsync<InvalidOperationException>(() => HookCommand.RunAsync(["no-such-program-hastack"], default));
            Assert.StartsWith("could not start 'no-such-program-hastack'", missing.Message);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
