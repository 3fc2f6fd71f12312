namespace HaStack.HealthProbe.Probing;

/// <summary>A target could not be checked: it did not answer, or it answered but is not what it should be.</summary>
/// <param name="message">One line, naming the target (never a password).</param>
/// <param name="misconfigured">True when retrying will not help (not a Patroni API, login refused).</param>
/// <param name="inner">The underlying failure.</param>
public sealed class ProbeTargetException(string message, bool misconfigured = false, Exception? inner = null)
    : Exception(message, inner)
{
    public bool Misconfigured { get; } = misconfigured;

    /// <summary>A failed Patroni call as the probe reports it: only an unreachable node may answer next time.</summary>
    public static ProbeTargetException From(PatroniApiException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return new ProbeTargetException(ex.Message, ex.Failure != PatroniFailure.Unreachable, ex);
    }
}
