using System.Text.Json;

namespace HaStack.HealthProbe.Service;

/// <summary>
/// Alertmanager's webhook body, version 4 (the fields the receiver uses): one notification of a group of alerts, each
/// with its own status. Alertmanager sends a group again on every change and at each repeat interval.
/// </summary>
public sealed record AlertmanagerWebhook(string Version, string? Status, string? Receiver, string? GroupKey, IReadOnlyList<AlertmanagerAlert> Alerts)
{
    /// <summary>The only webhook payload version Alertmanager has sent so far.</summary>
    public const string SupportedVersion = "4";

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <summary>Reads a webhook body; throws <see cref="FormatException"/> saying what is wrong with it.</summary>
    public static async Task<AlertmanagerWebhook> ReadAsync(Stream body, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        AlertmanagerWebhook? webhook;
        try
        {
            webhook = await JsonSerializer.DeserializeAsync<AlertmanagerWebhook>(body, Options, ct).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            // The position, never the stack: "'x' is an invalid start of a value. LineNumber: 0 | BytePositionInLine: 0."
            throw new FormatException($"not an Alertmanager webhook body: {ex.Message}", ex);
        }

        if (webhook is null)
        {
            throw new FormatException("not an Alertmanager webhook body: null");
        }

        if (webhook.Version != SupportedVersion)
        {
            throw new FormatException($"unsupported Alertmanager webhook version '{webhook.Version}' (expected '{SupportedVersion}')");
        }

        if (webhook.Alerts is null)
        {
            throw new FormatException("the webhook body has no 'alerts' list");
        }

        foreach (var alert in webhook.Alerts)
        {
            if (alert?.Status is not (AlertmanagerAlert.Firing or AlertmanagerAlert.Resolved) || alert.Labels is null)
            {
                throw new FormatException($"every alert needs 'status' (firing or resolved) and 'labels'; got status '{alert?.Status}'");
            }
        }

        return webhook;
    }
}
