namespace HaStack.HealthProbe.Service;

/// <summary>One alert of an Alertmanager webhook: its status now, labels (<c>alertname</c>, <c>severity</c>, …) and annotations.</summary>
/// <param name="Status"><c>firing</c> or <c>resolved</c>.</param>
/// <param name="Labels">The alert's labels, <c>alertname</c> among them.</param>
/// <param name="Annotations">Its annotations (<c>summary</c>, <c>description</c>).</param>
/// <param name="StartsAt">When it started firing.</param>
/// <param name="EndsAt">When it resolved; Alertmanager sends <c>0001-01-01T00:00:00Z</c> while it fires.</param>
/// <param name="Fingerprint">Alertmanager's hash of the labels: the same alert in every notification.</param>
public sealed record AlertmanagerAlert(
    string Status,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyDictionary<string, string>? Annotations,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    string? Fingerprint)
{
    public const string Firing = "firing";
    public const string Resolved = "resolved";

    public string AlertName => Labels.GetValueOrDefault("alertname") ?? "unnamed";

    public string Severity => Labels.GetValueOrDefault("severity") ?? "none";

    public string Summary => Annotations?.GetValueOrDefault("summary") ?? AlertName;

    /// <summary>The fingerprint, or (from a sender that has none) the labels themselves.</summary>
    public string Key => Fingerprint is { Length: > 0 } fingerprint ? fingerprint : FormatLabels(Labels);

    /// <summary>The labels besides <c>alertname</c> and <c>severity</c>, sorted: <c>job=patroni, member=pg-1</c>.</summary>
    public string OtherLabels => FormatLabels(Labels.Where(l => l.Key is not ("alertname" or "severity")));

    private static string FormatLabels(IEnumerable<KeyValuePair<string, string>> labels) =>
        string.Join(", ", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));
}
