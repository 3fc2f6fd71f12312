using System.Collections.Immutable;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace HaStack.AppHost.Patroni;

/// <summary>
/// Publishes each node's current Patroni role (leader / sync standby / replica / down) and timeline as resource
/// properties, so the Aspire dashboard follows failovers. Asks Patroni's <c>/cluster</c> once a second on whichever
/// node answers first; only changes are published.
/// </summary>
internal sealed class PatroniRoleWatcher(
    DistributedApplicationModel model,
    ResourceNotificationService notifications,
    ILogger<PatroniRoleWatcher> logger) : BackgroundService
{
    public const string TimelinePropertyName = "patroni.timeline";
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(1);

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
        while (!stoppingToken.IsCancellationRequested)
        {
            var members = await ReadClusterAsync(http, nodes, stoppingToken).ConfigureAwait(false);
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
        { Role: "leader" or "master" or "primary" } => "leader",
        { Role: "sync_standby" } => member.State is "running" or "streaming" ? "sync standby" : $"sync standby ({member.State})",
        { Role: "quorum_standby" } => member.State is "running" or "streaming" ? "quorum standby" : $"quorum standby ({member.State})",
        _ => member.State is "running" or "streaming" ? member.Role : $"{member.Role} ({member.State})",
    };

    private async Task<IReadOnlyList<ClusterMember>?> ReadClusterAsync(HttpClient http, PatroniNodeResource[] nodes, CancellationToken ct)
    {
        foreach (var node in nodes)
        {
            try
            {
                var cluster = await http.GetFromJsonAsync<ClusterResponse>($"{node.RestEndpoint.Url}/cluster", ct).ConfigureAwait(false);
                if (cluster?.Members is { } members)
                {
                    return members;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException or System.Text.Json.JsonException && !ct.IsCancellationRequested)
            {
                logger.LogDebug("Patroni /cluster on {Node} did not answer: {Error}", node.Name, ex.Message);
            }
        }

        return null;
    }

    private static ImmutableArray<ResourcePropertySnapshot> Set(ImmutableArray<ResourcePropertySnapshot> properties, string name, object value)
    {
        var existing = properties.FirstOrDefault(p => p.Name == name);
        return existing is null ? properties.Add(new(name, value)) : properties.Replace(existing, existing with { Value = value });
    }

    private sealed record ClusterResponse([property: JsonPropertyName("members")] List<ClusterMember>? Members);

    private sealed record ClusterMember(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("role")] string Role,
        [property: JsonPropertyName("state")] string? State,
        [property: JsonPropertyName("timeline")] long? Timeline);
}
