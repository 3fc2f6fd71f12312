using System.Diagnostics;
using System.Text.RegularExpressions;

namespace HaStack.FailoverDrill.Drills;

/// <summary>
/// An operator-supplied fault hook (kill, start) as an argument list: the program and its arguments, with
/// <c>{member}</c> and <c>{container}</c> replaced inside each argument. It runs without a shell, and a name that is
/// not a plain member or container name is refused before anything runs, so nothing a cluster reports can become a
/// command.
/// </summary>
public static partial class HookCommand
{
    /// <summary>Letters, digits, <c>.</c>, <c>_</c> and <c>-</c>, starting with a letter or digit (what Docker allows in a container name).</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex SafeName();

    /// <summary>Why <paramref name="name"/> may not be put into a hook (null: it may).</summary>
    public static string? UnsafeNameReason(string kind, string name) =>
        SafeName().IsMatch(name)
            ? null
            : $"{kind} name '{name}' is not allowed in a fault hook: only letters, digits, '.', '_' and '-' (starting with a letter or digit)";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_./:@-]{0,254}$")]
    private static partial Regex SafeImage();

    /// <summary>Why <paramref name="image"/> may not be an engine argument (null: it may): a plain reference, never an option.</summary>
    public static string? UnsafeImageReason(string image) =>
        SafeImage().IsMatch(image) ? null : $"image '{image}' is not allowed: only letters, digits, '.', '_', '/', ':', '@' and '-' (starting with a letter or digit)";

    /// <summary>Splits a hook given as one string (the command line's form) at spaces; no quoting, no shell.</summary>
    public static IReadOnlyList<string> Parse(string? text) =>
        (text ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <exception cref="DrillRefusedException">The member or container name is not a plain name.</exception>
    public static IReadOnlyList<string> Expand(IReadOnlyList<string> template, string member, string container)
    {
        ArgumentNullException.ThrowIfNull(template);
        if ((UnsafeNameReason("member", member) ?? UnsafeNameReason("container", container)) is { } reason)
        {
            throw new DrillRefusedException(reason);
        }

        return template.Select(a => a.Replace("{member}", member, StringComparison.Ordinal).Replace("{container}", container, StringComparison.Ordinal)).ToList();
    }

    /// <summary>The argument list as the report shows it.</summary>
    public static string Describe(IReadOnlyList<string> command) => string.Join(' ', command);

    /// <summary>Runs the command; returns what it printed on standard output.</summary>
    /// <exception cref="InvalidOperationException">The command failed or did not finish in 60 s.</exception>
    public static async Task<string> RunAsync(IReadOnlyList<string> command, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Count == 0)
        {
            throw new InvalidOperationException("the hook is empty");
        }

        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        var text = Describe(command);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"could not start: {text}");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"could not start '{text}': {ex.Message}", ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                if (ct.IsCancellationRequested)
                {
                    throw;
                }

                throw new InvalidOperationException($"'{text}' did not finish in 60 s");
            }

            await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                var why = (await stderr.ConfigureAwait(false)).Trim().Split('\n').LastOrDefault() ?? "";
                throw new InvalidOperationException($"'{text}' exited with {process.ExitCode}: {why}");
            }

            return await stdout.ConfigureAwait(false);
        }
    }
}
