namespace HaStack.Testing;

/// <summary>
/// One alert state change as the HealthProbe's receiver logged it (its <c>GET /alerts</c>): the same fields as its
/// structured log line.
/// </summary>
/// <param name="ReceivedAt">When the receiver got the notification.</param>
/// <param name="AlertName">The alert's <c>alertname</c>.</param>
/// <param name="Status"><c>firing</c> or <c>resolved</c>.</param>
/// <param name="Severity"><c>warning</c> or <c>critical</c>.</param>
/// <param name="Summary">Its <c>summary</c> annotation.</param>
/// <param name="Labels">The alert's labels besides <c>alertname</c> and <c>severity</c>, as <c>name=value, …</c>.</param>
/// <param name="StartsAt">When it started firing.</param>
/// <param name="EndsAt">When it resolved (null while it fires).</param>
public sealed record ReceivedAlert(
    DateTimeOffset ReceivedAt,
    string AlertName,
    string Status,
    string Severity,
    string Summary,
    string Labels,
    DateTimeOffset StartsAt,
    DateTimeOffset? EndsAt)
{
    public override string ToString() => $"{ReceivedAt:HH:mm:ss.fff} {AlertName} {Status} ({Labels}): {Summary}";
}
