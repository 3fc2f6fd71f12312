using Spectre.Console;

namespace HaStack.CommandLine;

/// <summary>
/// The Spectre console a report is written to: colors only when the writer is this process's own terminal, neither
/// <c>--no-color</c> given nor <c>NO_COLOR</c> set (to anything); otherwise plain text without a single ANSI escape.
/// </summary>
public static class ReportConsole
{
    /// <summary>Width for a pipe or file: wide enough that no line of a report is wrapped.</summary>
    private const int UnwrappedWidth = 4096;

    public static IAnsiConsole Create(TextWriter writer, bool noColor)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var terminal = ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;
        var color = terminal && !noColor && Environment.GetEnvironmentVariable("NO_COLOR") is null;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = color ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = color ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Enrichment = new ProfileEnrichment { UseDefaultEnrichers = false },
        });
        if (!terminal)
        {
            console.Profile.Width = UnwrappedWidth;
        }

        return console;
    }

    /// <summary>
    /// <paramref name="style"/> when the console shows colors, else plain: without ANSI, Spectre would set the colors
    /// of the process's console for every styled piece of text.
    /// </summary>
    public static Style Paint(this IAnsiConsole console, Style style) => console.Profile.Capabilities.Ansi ? style : Style.Plain;
}
