using System.Diagnostics.Metrics;

namespace HaStack.HealthProbe.Service;

/// <summary>
/// Turns Alertmanager's notifications into one structured log line per alert state change: firing at Warning (Error
/// when its severity is critical), resolved at Information. Alertmanager repeats itself (a group is sent again on
/// every change in it and at each repeat interval); an alert whose status (and start) is the one already seen, by
/// fingerprint, is not logged again. Keeps the last <see cref="Capacity"/> changes for <c>GET /alerts</c> and exports
/// <c>hastack_alerts_firing{alertname,severity}</c> and <c>hastack_alert_notifications_total{alertname,status}</c>.
/// </summary>
public sealed partial class AlertReceiver
{
    /// <summary>State changes kept for <c>GET /alerts</c>, oldest dropped first.</summary>
    public const int Capacity = 500;

    /// <summary>Alerts remembered by fingerprint; beyond this, resolved ones are forgotten.</summary>
    private const int KnownLimit = 2000;

    private readonly ILogger<AlertReceiver> _logger;
    private readonly TimeProvider _time;
    private readonly Counter<long> _notifications;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, AlertmanagerAlert> _known = [];
    private readonly HashSet<(string AlertName, string Severity)> _seen = [];
    private readonly Queue<AlertStateChange> _changes = new();

    public AlertReceiver(ILogger<AlertReceiver> logger, IMeterFactory meterFactory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(time);
        _logger = logger;
        _time = time;
        var meter = meterFactory.Create(ProbeMetrics.MeterName);
        meter.CreateObservableGauge("hastack_alerts_firing", () => Firing().Select(f =>
                new Measurement<int>(f.Value, new("alertname", f.Key.AlertName), new("severity", f.Key.Severity))),
            null, "Alerts firing now, as Alertmanager's notifications to this receiver say (0 once they resolved).");
        // The Prometheus exporter names a counter ..._total.
        _notifications = meter.CreateCounter<long>("hastack_alert_notifications", null,
            "Alert state changes received from Alertmanager (firing, resolved), repeats not counted.");
    }

    /// <summary>The changes received, oldest first (at most <see cref="Capacity"/>).</summary>
    public IReadOnlyList<AlertStateChange> Changes
    {
        get
        {
            lock (_gate)
            {
                return [.. _changes];
            }
        }
    }

    /// <summary>Alerts firing now by name and severity, with 0 for those seen before that fire no more.</summary>
    public IReadOnlyDictionary<(string AlertName, string Severity), int> Firing()
    {
        lock (_gate)
        {
            var firing = _seen.ToDictionary(s => s, _ => 0);
            foreach (var alert in _known.Values.Where(a => a.Status == AlertmanagerAlert.Firing))
            {
                firing[(alert.AlertName, alert.Severity)]++;
            }

            return firing;
        }
    }

    /// <summary>Logs and records each alert of <paramref name="webhook"/> whose state changed; returns those.</summary>
    public IReadOnlyList<AlertStateChange> Receive(AlertmanagerWebhook webhook)
    {
        ArgumentNullException.ThrowIfNull(webhook);
        var changes = new List<AlertStateChange>();
        lock (_gate)
        {
            foreach (var alert in webhook.Alerts)
            {
                if (_known.TryGetValue(alert.Key, out var before) && before.Status == alert.Status && before.StartsAt == alert.StartsAt)
                {
                    continue;
                }

                _known[alert.Key] = alert;
                _seen.Add((alert.AlertName, alert.Severity));
                var resolved = alert.Status == AlertmanagerAlert.Resolved;
                var change = new AlertStateChange(_time.GetUtcNow(), alert.AlertName, alert.Status, alert.Severity, alert.Summary,
                    alert.OtherLabels, alert.StartsAt, resolved ? alert.EndsAt : null, alert.Key);
                changes.Add(change);
                _changes.Enqueue(change);
                if (_changes.Count > Capacity)
                {
                    _changes.Dequeue();
                }
            }

            if (_known.Count > KnownLimit)
            {
                foreach (var key in _known.Where(k => k.Value.Status == AlertmanagerAlert.Resolved).Select(k => k.Key).ToList())
                {
                    _known.Remove(key);
                }
            }
        }

        foreach (var change in changes)
        {
            _notifications.Add(1, new("alertname", change.AlertName), new("status", change.Status));
            var level = change.Status == AlertmanagerAlert.Resolved ? LogLevel.Information
                : change.Severity == "critical" ? LogLevel.Error
                : LogLevel.Warning;
            LogChange(_logger, level, change.AlertName, change.Status, change.Summary, change.Severity, change.Labels, change.StartsAt);
        }

        return changes;
    }

    [LoggerMessage(Message = "Alert {AlertName} {Status}: {Summary} (severity {Severity}, labels {Labels}, since {StartsAt})")]
    private static partial void LogChange(ILogger logger, LogLevel level, string alertName, string status, string summary, string severity, string labels, DateTimeOffset startsAt);
}
