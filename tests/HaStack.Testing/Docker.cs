using System.Diagnostics;

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
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The Debian base image the suite builds on, for a helper container (as <c>scripts/prepare.sh</c> made it).</summary>
    public static string BaseImage(string release) =>
        (Environment.GetEnvironmentVariable("HaStack__BaseImage") ?? "debian:{release}-slim").Replace("{release}", release, StringComparison.Ordinal);
}
