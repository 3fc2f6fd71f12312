using System.CommandLine;

namespace HaStack.CommandLine;

/// <summary>
/// The contract both command lines keep: a bad command line is one line on stderr, <c>&lt;prefix&gt;&lt;problem&gt;
/// (see --help)</c>, and the tool's usage exit code; otherwise the command (or the generated <c>--help</c>) runs with
/// the given writers, and its exit code is returned. Exceptions are the caller's to turn into one line.
/// </summary>
public static class CommandLineInvocation
{
    /// <param name="result">The parse of the arguments.</param>
    /// <param name="stdout">Where the command and <c>--help</c> write.</param>
    /// <param name="stderr">Where the one-line error goes.</param>
    /// <param name="prefix">The tool's error prefix, e.g. <c>healthprobe: </c>.</param>
    /// <param name="usageExitCode">The exit code of a bad command line.</param>
    /// <param name="command">The subcommand the root expects, or null when the root is the command.</param>
    /// <param name="ct">Cancels the command.</param>
    public static async Task<int> InvokeAsync(ParseResult result, TextWriter stdout, TextWriter stderr, string prefix, int usageExitCode, string? command, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(stderr);
        if (CommandLineError.Of(result, command) is { } error)
        {
            await stderr.WriteLineAsync($"{prefix}{error} (see --help)").ConfigureAwait(false);
            return usageExitCode;
        }

        return await result.InvokeAsync(new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null,
        }, ct).ConfigureAwait(false);
    }
}
