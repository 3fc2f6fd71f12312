using HaStack.FailoverDrill.Drills;

namespace HaStack.FailoverDrill.Cli;

/// <summary>
/// The parsed <c>run</c> command: one <see cref="Kind"/> of drill <see cref="Rounds"/> times, or with
/// <see cref="Chaos"/> (<c>--kind chaos</c>) a soak of random faults for <see cref="Duration"/> drawn from <see cref="Seed"/>.
/// </summary>
public sealed record RunOptions(DrillKind Kind, int Rounds, DrillTarget Target, DrillSettings Settings, bool Json, bool Verbose, bool NoColor = false,
    bool Chaos = false, TimeSpan Duration = default, int Seed = 0)
{
    /// <summary><c>--cacert</c>: the PEM root Patroni's HTTPS REST API must chain to (besides the system's roots).</summary>
    public string? RootCertificate { get; init; }
}
