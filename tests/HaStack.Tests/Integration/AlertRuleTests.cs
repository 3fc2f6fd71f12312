namespace HaStack.Tests.Integration;

/// <summary>
/// The alerting rules' promtool unit tests, run inside the Prometheus image the stack uses (its promtool is the
/// Prometheus that evaluates them). Builds the image (the build runs the same tests) and Alertmanager's, starts no
/// cluster.
/// </summary>
public class AlertRuleTests
{
    private static readonly string s_observability = Path.Combine(GrafanaDashboard.RepositoryRoot, "src", "HaStack.Hosting", "Observability");

    private static async Task<string> BuildAsync(string component)
    {
        var tag = $"hastack-test/{component.ToLowerInvariant()}:rules";
        var result = await CommandRunner.RunAsync("docker",
            ["build", "--quiet", "--tag", tag, "--build-arg", $"BASE_IMAGE={Docker.BaseImage("trixie")}", Path.Combine(s_observability, component)],
            Timeouts.ImageBuild);
        Assert.True(result.ExitCode == 0, $"docker build of {component} failed:\n{result.Stdout}\n{result.Stderr}");
        return tag;
    }

    [Fact]
    public async Task EveryAlertRuleUnitTestPassesInThePrometheusImage()
    {
        var image = await BuildAsync("Prometheus");

        var (exitCode, stdout, stderr) = await Docker.TryRunAsync("run", "--rm", "--entrypoint", "sh", "-w", "/etc/prometheus/rules/tests", image,
            "-c", "promtool check rules ../hastack.rules.yml && promtool test rules *.yml");

        Assert.True(exitCode == 0, stdout + stderr);
        Assert.Contains("SUCCESS: 17 rules found", stdout + stderr, StringComparison.Ordinal);
        foreach (var file in Directory.GetFiles(Path.Combine(s_observability, "Prometheus", "rules", "tests"), "*.yml"))
        {
            Assert.Contains($"Unit Testing:  {Path.GetFileName(file)}", stdout + stderr, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("FAILED", stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryAlertHasASeverityASummaryAndADescriptionAndATest()
    {
        var rules = await File.ReadAllLinesAsync(Path.Combine(s_observability, "Prometheus", "rules", "hastack.rules.yml"));
        var tests = string.Concat(Directory.GetFiles(Path.Combine(s_observability, "Prometheus", "rules", "tests"), "*.yml").Select(File.ReadAllText));
        var alerts = rules.Select(l => l.Trim()).Where(l => l.StartsWith("- alert: ", StringComparison.Ordinal)).Select(l => l["- alert: ".Length..]).ToList();

        Assert.NotEmpty(alerts);
        foreach (var alert in alerts)
        {
            var block = string.Join('\n', rules.SkipWhile(l => !l.Trim().Equals($"- alert: {alert}", StringComparison.Ordinal)).Skip(1)
                .TakeWhile(l => !l.TrimStart().StartsWith("- ", StringComparison.Ordinal) || l.StartsWith("          ", StringComparison.Ordinal)));
            Assert.Matches(@"severity: (warning|critical)", block);
            Assert.Contains("summary:", block, StringComparison.Ordinal);
            Assert.Contains("description:", block, StringComparison.Ordinal);
            // Fires in some test (a test naming it with an expected alert) and is checked silent in another.
            Assert.Matches($@"alertname: {alert}\n\s+exp_alerts:\n\s+- exp_labels", tests);
            Assert.Contains($"alertname: {alert}, exp_alerts: []", tests, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AlertmanagersImageBuildsAndItsShippedConfigurationPassesAmtool()
    {
        // The Dockerfile runs amtool check-config on the rendered configuration: a build that succeeds is the check.
        var image = await BuildAsync("Alertmanager");

        var (exitCode, stdout, stderr) = await Docker.TryRunAsync("run", "--rm", "--entrypoint", "sh", image,
            "-c", "prometheus-alertmanager --version");

        Assert.True(exitCode == 0, stdout + stderr);
        Assert.Contains("alertmanager, version 0.", stdout + stderr, StringComparison.Ordinal);
    }
}
