using System.Text;
using HaStack.HealthProbe.Service;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HealthProbe.Tests.Model;

/// <summary>The alert webhook on Alertmanager's own JSON (as 0.28 sent it): parsing, dedupe, logs, refusals. No I/O.</summary>
public class AlertReceiverTests
{
    private const string Secret = "webhook-secret-0123456789";

    private static string Notification(string status, string fingerprint = "9c3a238ba6b47754", string alertname = "HaStackFailover",
        string severity = "warning", string startsAt = "2026-12-02T21:11:20Z", string endsAt = "0001-01-01T00:00:00Z") => $$"""
        {
          "receiver": "healthprobe", "status": "{{status}}",
          "alerts": [{
            "status": "{{status}}",
            "labels": {"alertname": "{{alertname}}", "job": "patroni", "severity": "{{severity}}"},
            "annotations": {"description": "A new primary was promoted.", "summary": "Failover: the cluster moved to timeline 2"},
            "startsAt": "{{startsAt}}", "endsAt": "{{endsAt}}",
            "generatorURL": "http://prometheus:9090/graph", "fingerprint": "{{fingerprint}}"
          }],
          "groupLabels": {"alertname": "{{alertname}}", "job": "patroni", "severity": "{{severity}}"},
          "commonLabels": {"alertname": "{{alertname}}", "job": "patroni", "severity": "{{severity}}"},
          "commonAnnotations": {"summary": "Failover: the cluster moved to timeline 2"},
          "externalURL": "http://alertmanager:9093", "version": "4",
          "groupKey": "{}:{alertname=\"{{alertname}}\", job=\"patroni\", severity=\"{{severity}}\"}", "truncatedAlerts": 0
        }
        """;

    private static (AlertReceiver Receiver, ListLogger Log) NewReceiver()
    {
        var log = new ListLogger();
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        return (new AlertReceiver(log, meters, TimeProvider.System), log);
    }

    private static Task<AlertmanagerWebhook> ParseAsync(string json) =>
        AlertmanagerWebhook.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(json)));

    private static DefaultHttpContext Request(string body, string? authorization)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = "POST";
        http.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        if (authorization is not null)
        {
            http.Request.Headers.Authorization = authorization;
        }

        return http;
    }

    [Fact]
    public async Task AlertmanagersVersion4BodyIsReadWithTheAlertsLabelsAndTimes()
    {
        var webhook = await ParseAsync(Notification("firing"));

        var alert = Assert.Single(webhook.Alerts);
        Assert.Equal(("4", "firing", "HaStackFailover", "warning"), (webhook.Version, alert.Status, alert.AlertName, alert.Severity));
        Assert.Equal("Failover: the cluster moved to timeline 2", alert.Summary);
        Assert.Equal("job=patroni", alert.OtherLabels);
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 21, 11, 20, TimeSpan.Zero), alert.StartsAt);
        Assert.Equal("9c3a238ba6b47754", alert.Key);
    }

    [Fact]
    public async Task OneLineIsLoggedPerStateChangeAndAlertmanagersRepeatsAreNot()
    {
        var (receiver, log) = NewReceiver();

        receiver.Receive(await ParseAsync(Notification("firing")));
        receiver.Receive(await ParseAsync(Notification("firing")));
        receiver.Receive(await ParseAsync(Notification("resolved", endsAt: "2026-12-02T21:13:20Z")));
        receiver.Receive(await ParseAsync(Notification("resolved", endsAt: "2026-12-02T21:13:20Z")));
        // The same alert firing again later is a new state change.
        receiver.Receive(await ParseAsync(Notification("firing", startsAt: "2026-12-02T22:00:00Z")));

        Assert.Equal(["firing", "resolved", "firing"], receiver.Changes.Select(c => c.Status));
        Assert.Equal(
            [
                (LogLevel.Warning, "Alert HaStackFailover firing: Failover: the cluster moved to timeline 2 (severity warning, labels job=patroni, since 12/02/2026 21:11:20 +00:00)"),
                (LogLevel.Information, "Alert HaStackFailover resolved: Failover: the cluster moved to timeline 2 (severity warning, labels job=patroni, since 12/02/2026 21:11:20 +00:00)"),
                (LogLevel.Warning, "Alert HaStackFailover firing: Failover: the cluster moved to timeline 2 (severity warning, labels job=patroni, since 12/02/2026 22:00:00 +00:00)"),
            ],
            log.Entries.Select(e => (e.Level, e.Message)));
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 21, 13, 20, TimeSpan.Zero), receiver.Changes[1].EndsAt);
        Assert.Null(receiver.Changes[2].EndsAt);
    }

    [Fact]
    public async Task CriticalAlertsAreLoggedAsErrorsAndStructured()
    {
        var (receiver, log) = NewReceiver();

        receiver.Receive(await ParseAsync(Notification("firing", fingerprint: "1", alertname: "HaStackNoLeader", severity: "critical")));

        var entry = Assert.Single(log.Entries);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Equal("HaStackNoLeader", entry.State["AlertName"]);
        Assert.Equal("critical", entry.State["Severity"]);
        Assert.Equal("firing", entry.State["Status"]);
    }

    [Fact]
    public async Task FiringCountsFollowTheAlertsAndDropToZeroWhenTheyResolve()
    {
        var (receiver, _) = NewReceiver();

        receiver.Receive(await ParseAsync(Notification("firing", fingerprint: "a", alertname: "HaStackEtcdMemberDown")));
        receiver.Receive(await ParseAsync(Notification("firing", fingerprint: "b", alertname: "HaStackEtcdMemberDown")));
        Assert.Equal(2, receiver.Firing()[("HaStackEtcdMemberDown", "warning")]);

        receiver.Receive(await ParseAsync(Notification("resolved", fingerprint: "a", alertname: "HaStackEtcdMemberDown")));
        receiver.Receive(await ParseAsync(Notification("resolved", fingerprint: "b", alertname: "HaStackEtcdMemberDown")));
        Assert.Equal(0, receiver.Firing()[("HaStackEtcdMemberDown", "warning")]);
    }

    [Fact]
    public async Task TheListOfChangesIsBoundedAndKeepsTheNewest()
    {
        var (receiver, _) = NewReceiver();
        for (var i = 0; i < AlertReceiver.Capacity + 10; i++)
        {
            receiver.Receive(await ParseAsync(Notification("firing", fingerprint: $"f{i}")));
        }

        Assert.Equal(AlertReceiver.Capacity, receiver.Changes.Count);
        Assert.Equal($"f{AlertReceiver.Capacity + 9}", receiver.Changes[^1].Fingerprint);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-secret")]
    [InlineData("Basic d2ViaG9vazpzZWNyZXQ=")]
    [InlineData("Bearer ")]
    public async Task AMissingOrWrongTokenIsRefusedWith401AndNothingIsLogged(string? authorization)
    {
        var (receiver, log) = NewReceiver();
        var http = Request(Notification("firing"), authorization);

        var result = await AlertEndpoints.ReceiveAsync(http, receiver, Secret);

        Assert.Equal(StatusCodes.Status401Unauthorized, ((IStatusCodeHttpResult)result).StatusCode);
        Assert.Equal("Bearer", http.Response.Headers.WWWAuthenticate.ToString());
        Assert.Empty(log.Entries);
        Assert.Empty(receiver.Changes);
    }

    [Fact]
    public async Task WithoutAConfiguredSecretEveryAlertIsRefused()
    {
        var (receiver, _) = NewReceiver();

        var result = await AlertEndpoints.ReceiveAsync(Request(Notification("firing"), "Bearer "), receiver, secret: null);

        Assert.Equal(StatusCodes.Status403Forbidden, ((IStatusCodeHttpResult)result).StatusCode);
    }

    [Theory]
    [InlineData("not json", "not an Alertmanager webhook body: ")]
    [InlineData("", "not an Alertmanager webhook body: ")]
    [InlineData("""{"version": "3", "alerts": []}""", "unsupported Alertmanager webhook version '3' (expected '4')")]
    [InlineData("""{"version": "4"}""", "the webhook body has no 'alerts' list")]
    [InlineData("""{"version": "4", "alerts": [{"status": "pending", "labels": {}}]}""", "every alert needs 'status' (firing or resolved) and 'labels'; got status 'pending'")]
    [InlineData("""{"version": "4", "alerts": 5}""", "not an Alertmanager webhook body: ")]
    public async Task ABodyThatIsNotAVersion4WebhookIsRefusedWith400AndSaysWhy(string body, string error)
    {
        var (receiver, _) = NewReceiver();

        var result = await AlertEndpoints.ReceiveAsync(Request(body, $"Bearer {Secret}"), receiver, Secret);

        Assert.Equal(StatusCodes.Status400BadRequest, ((IStatusCodeHttpResult)result).StatusCode);
        var message = (string)((IValueHttpResult)result).Value!.GetType().GetProperty("error")!.GetValue(((IValueHttpResult)result).Value)!;
        Assert.StartsWith(error, message, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheRightTokenIsAcceptedAndTheChangeRecorded()
    {
        var (receiver, _) = NewReceiver();

        var result = await AlertEndpoints.ReceiveAsync(Request(Notification("firing"), $"Bearer {Secret}"), receiver, Secret);

        Assert.Equal(StatusCodes.Status200OK, ((IStatusCodeHttpResult)result).StatusCode ?? StatusCodes.Status200OK);
        Assert.Equal("HaStackFailover", Assert.Single(receiver.Changes).AlertName);
    }

    private sealed class ListLogger : ILogger<AlertReceiver>
    {
        public List<(LogLevel Level, string Message, IReadOnlyDictionary<string, object?> State)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state as IEnumerable<KeyValuePair<string, object?>> ?? [];
            Entries.Add((logLevel, formatter(state, exception), values.ToDictionary(v => v.Key, v => v.Value)));
        }
    }
}
