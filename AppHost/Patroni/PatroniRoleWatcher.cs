using System.Collections.Immutable;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HaStack.AppHost.Patroni;

/// <summary>
/// Publishes each node's current Patroni role (leader / sync standby / replica / down) and timeline as resource
/// properties, so the Aspire dashboard follows failovers. Asks Patroni's <c>/cluster</c> once a second on whichever
/// node answers first; only changes are published. Also publishes the timing and synchronous mode that Patroni's
/// <c>/config</c> reports (read every <see cref="s_configInterval"/>), highlighted in each node's details, so nobody
/// mistakes which profile a measured time belongs to.
/// </summary>
internal sealed class PatroniRoleWatcher(
    DistributedApplicationModel model,
    ResourceNotificationService notifications,
    ILogger<PatroniRoleWatcher> logger) : BackgroundService
{
    public const string TimelinePropertyName = "patroni.timeline";
    public const string TimingPropertyName = "patroni.timing";
    public const string SynchronousModePropertyName = "patroni.synchronous_mode";
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_configInterval = TimeSpan.FromSeconds(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nodes = model.Resources.OfType<PatroniNodeResource>().ToArray();
        if (nodes.Length == 0)
        {
            return;
        }

        // Endpoints are allocated once a node's container runs; until then there is nothing to ask.
        await notifications.WaitForResourceAsync(nodes[0].Name, KnownResourceStates.Running, stoppingToken).ConfigureAwait(false);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        var published = new Dictionary<string, string>();
        var configReadAt = DateTime.MinValue;
        string? publishedConfig = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (DateTime.UtcNow - configReadAt > s_configInterval
                && await ReadAsync<DynamicConfig>(http, nodes, "config", stoppingToken).ConfigureAwait(false) is { } config)
            {
                configReadAt = DateTime.UtcNow;
                var timing = new PatroniTiming(config.Ttl, config.LoopWait, config.RetryTimeout).ToString();
                var mode = config.SynchronousModeName;
                if (publishedConfig != timing + "|" + mode)
                {
                    publishedConfig = timing + "|" + mode;
                    logger.LogInformation("Patroni timing (from /config): {Timing}; synchronous_mode {Mode}", timing, mode);
                    foreach (var node in nodes)
                    {
                        await notifications.PublishUpdateAsync(node, s => s with
                        {
                            Properties = Set(Set(s.Properties, TimingPropertyName, timing, highlighted: true), SynchronousModePropertyName, mode, highlighted: true),
                        }).ConfigureAwait(false);
                    }
                }
            }

            var members = (await ReadAsync<ClusterResponse>(http, nodes, "cluster", stoppingToken).ConfigureAwait(false))?.Members;
            foreach (var node in nodes)
            {
                var member = members?.FirstOrDefault(m => m.Name == node.Name);
                var role = members is null ? "unknown" : Describe(member);
                var timeline = member?.Timeline?.ToString() ?? "";
                if (published.TryGetValue(node.Name, out var last) && last == role + "|" + timeline)
                {
                    continue;
                }

                published[node.Name] = role + "|" + timeline;
                logger.LogInformation("Patroni node {Node} is now {Role} (timeline {Timeline})", node.Name, role, timeline);
                await notifications.PublishUpdateAsync(node, s => s with
                {
                    Properties = Set(Set(s.Properties, PatroniNodeResource.RolePropertyName, role), TimelinePropertyName, timeline),
                }).ConfigureAwait(false);
            }

            await Task.Delay(s_interval, stoppingToken).ConfigureAwait(false);
        }
    }

    private static string Describe(ClusterMember? member) => member switch
    {
        null => "down",
        { Role: "leader" } => "leader",
        { Role: "sync_standby" } => member.State is "running" or "streaming" ? "sync standby" : $"sync standby ({member.State})",
        { Role: "quorum_standby" } => member.State is "running" or "streaming" ? "quorum standby" : $"quorum standby ({member.State})",
        _ => member.State is "running" or "streaming" ? member.Role : $"{member.Role} ({member.State})",
    };

    /// <summary>A REST resource from whichever node answers first; null when none does.</summary>
    private async Task<T?> ReadAsync<T>(HttpClient http, PatroniNodeResource[] nodes, string path, CancellationToken ct)
        where T : class
    {
        foreach (var node in nodes)
        {
            try
            {
                if (await http.GetFromJsonAsync<T>($"{node.RestEndpoint.Url}/{path}", ct).ConfigureAwait(false) is { } result)
                {
                    return result;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException or System.Text.Json.JsonException && !ct.IsCancellationRequested)
            {
                logger.LogDebug("Patroni /{Path} on {Node} did not answer: {Error}", path, node.Name, ex.Message);
            }
        }

        return null;
    }

    private static ImmutableArray<ResourcePropertySnapshot> Set(ImmutableArray<ResourcePropertySnapshot> properties, string name, object value, bool highlighted = false)
    {
        var existing = properties.FirstOrDefault(p => p.Name == name);
        return existing is null
            ? properties.Add(new(name, value) { IsHighlighted = highlighted })
            : properties.Replace(existing, existing with { Value = value, IsHighlighted = highlighted });
    }

    /// <summary>The part of Patroni's <c>GET /config</c> shown on the dashboard.</summary>
    private sealed record DynamicConfig(
        [property: JsonPropertyName("ttl")] int Ttl,
        [property: JsonPropertyName("loop_wait")] int LoopWait,
        [property: JsonPropertyName("retry_timeout")] int RetryTimeout,
        [property: JsonPropertyName("synchronous_mode")] System.Text.Json.JsonElement? SynchronousMode,
        [property: JsonPropertyName("synchronous_mode_strict")] bool SynchronousModeStrict)
    {
        public string SynchronousModeName => SynchronousMode switch
        {
            { ValueKind: System.Text.Json.JsonValueKind.True } => SynchronousModeStrict ? "strict" : "on",
            { ValueKind: System.Text.Json.JsonValueKind.String } s => s.GetString() ?? "off",
            _ => "off",
        };
    }

    private sealed record ClusterResponse([property: JsonPropertyName("members")] List<ClusterMember>? Members);

    private sealed record ClusterMember(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("role")] string Role,
        [property: JsonPropertyName("state")] string? State,
        [property: JsonPropertyName("timeline")] long? Timeline);
}
