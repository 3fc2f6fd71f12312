namespace HaStack.Testing;

/// <summary>The container engine's CLI, for what Aspire has no API for (exec, logs, pause, volumes).</summary>
public static class Docker
{
    /// <summary>Runs <c>docker</c> with an argument list (never a shell); throws with its stderr when it fails.</summary>
    public static async Task<string> RunAsync(params string[] args)
    {
        var (exitCode, stdout, stderr) = await TryRunAsync(args);
        return exitCode == 0
            ? stdout
            : throw new InvalidOperationException($"docker {string.Join(' ', args)} exited with {exitCode}: {stderr.Trim()}");
    }

    /// <summary>Runs <c>docker</c> and returns its exit code and both outputs.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> TryRunAsync(params string[] args)
    {
        var result = await CommandRunner.RunAsync("docker", args, Timeouts.Scaled(60));
        return (result.ExitCode, result.Stdout, result.Stderr);
    }

    /// <summary>The Debian base image the suite builds on, for a helper container (as <c>scripts/prepare.sh</c> made it).</summary>
    public static string BaseImage(string release) =>
        (Environment.GetEnvironmentVariable("HaStack__BaseImage") ?? "debian:{release}-slim").Replace("{release}", release, StringComparison.Ordinal);
}
