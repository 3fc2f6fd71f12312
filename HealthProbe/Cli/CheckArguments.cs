using HaStack.HealthProbe.Probing;

namespace HaStack.HealthProbe.Cli;

/// <summary>The parsed command line of <c>check</c>.</summary>
public sealed record CheckArguments(ProbeTargets Targets, ProbeThresholds Thresholds, TimeSpan Timeout, bool Json, bool NoColor)
{
    /// <summary><c>--cacert</c>: the PEM root HTTPS servers must chain to (besides the system's roots).</summary>
    public string? RootCertificate { get; init; }

    /// <summary>Parses the arguments after <c>check</c> as <see cref="CheckCommand.RunAsync"/> does.</summary>
    /// <exception cref="ArgumentException">An option is missing, unknown or malformed; the message is the line the user would see.</exception>
    public static CheckArguments Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var commandLine = new CheckCommandLine((_, _) => Task.FromResult(CheckCommand.ExitHealthy));
        var result = commandLine.Parse(args);
        return CommandLineError.Of(result) is { } error ? throw new ArgumentException(error) : commandLine.Bind(result);
    }
}
