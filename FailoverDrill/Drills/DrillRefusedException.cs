namespace HaStack.FailoverDrill.Drills;

/// <summary>The precondition failed: the drill touched nothing. The message is the reason.</summary>
public sealed class DrillRefusedException(string message, Exception? inner = null) : Exception(message, inner);
