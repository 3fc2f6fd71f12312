using System.Diagnostics;

namespace HaStack.Testing;

/// <summary>What a finished command printed and returned.</summary>
public sealed record CommandResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs a program with an argument list (never through a shell) and a bounded wait.</summary>
public static class CommandRunner
{
    /// <summary>Runs <paramref name="fileName"/>; kills its process tree and throws when it outlives <paramref name="timeout"/>.</summary>
    public static async Task<CommandResult> RunAsync(string fileName, IEnumerable<string> args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{fileName} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', start.ArgumentList)} did not finish within {timeout.TotalSeconds:0} s");
        }

        return new CommandResult(process.ExitCode, await stdout, await stderr);
    }
}
