using System.CommandLine;
using System.CommandLine.Parsing;

namespace HaStack.CommandLine;

/// <summary>
/// A failed parse as the one line a user sees: the first problem, never a list or the help text. A value an option
/// rejects comes first (an option missing its value takes the next token, which leaves later tokens unknown), then an
/// unknown argument, then a missing option.
/// </summary>
public static class CommandLineError
{
    /// <param name="result">The parse.</param>
    /// <param name="command">The subcommand the root expects (<c>run</c>), or null when the root is the command.</param>
    public static string? Of(ParseResult result, string? command = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Errors.Count == 0)
        {
            return null;
        }

        // Without a command System.CommandLine stops at the root: say which command there is.
        if (command is not null && result.CommandResult.Parent is null)
        {
            return result.UnmatchedTokens.Count > 0 ? $"unknown command '{result.UnmatchedTokens[0]}'; expected: {command}" : $"missing command; expected: {command}";
        }

        if (result.Errors.FirstOrDefault(e => e.SymbolResult is OptionResult { Implicit: false }) is { } rejected)
        {
            return OneLine(rejected.Message);
        }

        if (result.UnmatchedTokens.Count > 0)
        {
            return $"unknown argument '{result.UnmatchedTokens[0]}'";
        }

        var first = result.Errors[0];
        return first.SymbolResult is OptionResult { Implicit: true, Option: var missing } ? $"{missing.Name} is required" : OneLine(first.Message);
    }

    private static string OneLine(string message) =>
        string.Join(' ', message.Split((char[])['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).TrimEnd('.');
}
