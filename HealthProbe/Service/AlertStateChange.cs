namespace HaStack.HealthProbe.Service;

/// <summary>An alert that started firing or resolved, as the receiver logged it (<c>GET /alerts</c>).</summary>
/// <param name="ReceivedAt">When the receiver got the notification.</param>
/// <param name="AlertName">The alert's <c>alertname</c> label.</param>
/// <param name="Status"><c>firing</c> or <c>resolved</c>.</param>
/// <param name="Severity">The alert's <c>severity</c> label (<c>warning</c>, <c>critical</c>).</param>
/// <param name="Summary">Its <c>summary</c> annotation.</param>
/// <param name="Labels">Labels besides <c>alertname</c> and <c>severity</c>, as <c>name=value, …</c>.</param>
/// <param name="StartsAt">When it started firing.</param>
/// <param name="EndsAt">When it resolved (null while it fires).</param>
/// <param name="Fingerprint">Alertmanager's fingerprint of its labels.</param>
public sealed record AlertStateChange(
    DateTimeOffset ReceivedAt,
    string AlertName,
    string Status,
    string Severity,
    string Summary,
    string Labels,
    DateTimeOffset StartsAt,
    DateTimeOffset? EndsAt,
    string Fingerprint);
