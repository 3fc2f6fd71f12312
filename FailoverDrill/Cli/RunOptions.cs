using HaStack.FailoverDrill.Drills;

namespace HaStack.FailoverDrill.Cli;

/// <summary>The parsed <c>run</c> command.</summary>
public sealed record RunOptions(DrillKind Kind, int Rounds, DrillTarget Target, DrillSettings Settings, bool Json, bool Verbose, bool NoColor = false);
