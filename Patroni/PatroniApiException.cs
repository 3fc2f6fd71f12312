namespace HaStack.Patroni;

/// <summary>Why a Patroni REST call failed.</summary>
public enum PatroniFailure
{
    /// <summary>No answer (connection refused, timeout): retrying may help.</summary>
    Unreachable,

    /// <summary>Something answered, but not as a Patroni REST API does: retrying will not help.</summary>
    NotPatroni,

    /// <summary>Patroni answered and refused the request (e.g. a switchover it cannot do, or bad credentials).</summary>
    Refused,
}

/// <summary>A Patroni REST call failed; the message is one line naming the node (never a password).</summary>
public sealed class PatroniApiException(string message, PatroniFailure failure, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>What kind of failure it was.</summary>
    public PatroniFailure Failure { get; } = failure;
}
