using System.Collections.Immutable;
using HaStack.Patroni;
using Microsoft.Extensions.Logging;

namespace HaStack.Hosting;

/// <summary>
/// Publishes each node's current Patroni role (leader / sync standby / replica / down) and timeline as resource
/// properties, and as the state of the node's role row (<see cref="PatroniRoleResource"/>), so the Aspire dashboard
/// follows failovers at a glance. Asks Patroni's <c>/cluster</c> once a second on whichever
/// node answers first; only changes are published. Also publishes the timing and synchronous mode that Patroni's
/// <c>/config</c> reports (read every <see cref="s_configInterval"/>), highlighted in each node's details, so nobody
/// mistakes which profile a measured time belongs to. With it, each node's PostgreSQL and Patroni versions as the node
/// reports them (<c>/patroni</c>): the platform names majors, the packages behind them move (Debian testing).
/// </summary>
internal sealed class PatroniRoleWatcher(
    DistributedApplicationModel model,
    ResourceNotificationService notifications,
    IHttpClientFactory httpClientFactory,
    ILogger<PatroniRoleWatcher> logger)
{
    public const string TimelinePropertyName = "patroni.timeline";
    public const string TimingPropertyName = "patroni.timing";
    public const string SynchronousModePropertyName = "patroni.synchronous_mode";
    public const string VersionsPropertyName = "hastack.versions";
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_configInterval = TimeSpan.FromSeconds(15);

    /// <summary>Follows Patroni until <paramref name="stoppingToken"/> (the AppHost's shutdown) is cancelled.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        try
        {
            await WatchAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // Without this the dashboard would silently stop following Patroni.
            logger.LogError(ex, "The Patroni role watcher stopped: the dashboard no longer follows roles");
        }
    }

    private async Task WatchAsync(CancellationToken stoppingToken)
    {
        var nodes = model.Resources.OfType<PatroniNodeResource>().ToArray();
        if (nodes.Length == 0)
        {
            return;
        }

        // Endpoints are allocated once a node's container runs; until then there is nothing to ask.
        logger.LogInformation("Following Patroni's roles once {Node} runs", nodes[0].Name);
        await notifications.WaitForResourceAsync(nodes[0].Name, KnownResourceStates.Running, stoppingToken).ConfigureAwait(false);
        logger.LogInformation("Following Patroni's roles on {Nodes}", string.Join(", ", nodes.Select(n => n.Name)));

        var http = httpClientFactory.CreateClient(nameof(PatroniRoleWatcher));
        PatroniClient? patroni = null;
        var cluster = model.Resources.OfType<PatroniClusterResource>().FirstOrDefault();
        var roleRows = model.Resources.OfType<PatroniRoleResource>().ToDictionary(r => r.Node.Name);
        string? publishedCluster = null;
        var published = new Dictionary<string, string>();
        var configReadAt = DateTime.MinValue;
        string? publishedConfig = null;
        var publishedVersions = new Dictionary<string, string>();
        while (!stoppingToken.IsCancellationRequested)
        {
            // Ask the nodes whose endpoints exist so far (a node may start later, or never).
            var urls = nodes.Where(n => n.RestEndpoint.EndpointAnnotation.AllocatedEndpoint is not null)
                .Select(n => new Uri(n.RestEndpoint.Url + "/")).ToList();
            if (urls.Count == 0)
            {
                await Task.Delay(s_interval, stoppingToken).ConfigureAwait(false);
                continue;
            }

            if (patroni is null || patroni.Nodes.Count != urls.Count)
            {
                patroni = new PatroniClient(http, urls, requestTimeout: TimeSpan.FromSeconds(1));
            }

            if (DateTime.UtcNow - configReadAt > s_configInterval
                && await ReadAsync(patroni.GetConfigAsync, "config", stoppingToken).ConfigureAwait(false) is { } config)
            {
                configReadAt = DateTime.UtcNow;
                var timing = new PatroniTiming(config.Ttl ?? 0, config.LoopWait ?? 0, config.RetryTimeout ?? 0).ToString();
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

            var view = await ReadAsync(patroni.GetClusterAsync, "cluster", stoppingToken).ConfigureAwait(false);
            var members = view?.Members;
            // Versions change only with a new container: read once per start of a node, when Patroni says it runs.
            if (members is not null)
            {
                await PublishVersionsAsync(patroni, nodes, members, publishedVersions, stoppingToken).ConfigureAwait(false);
            }

            if (cluster is not null && ClusterState(view) is var (state, style, leader) && publishedCluster != state + leader)
            {
                publishedCluster = state + leader;
                await notifications.PublishUpdateAsync(cluster, s => s with
                {
                    State = new ResourceStateSnapshot(state, style),
                    Properties = Set(s.Properties, PatroniClusterResource.LeaderPropertyName, leader, highlighted: true),
                }).ConfigureAwait(false);
            }
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
                if (roleRows.TryGetValue(node.Name, out var row))
                {
                    await notifications.PublishUpdateAsync(row, s => s with
                    {
                        State = new ResourceStateSnapshot(timeline.Length == 0 ? role : $"{role} on timeline {timeline}", RoleStyle(member)),
                    }).ConfigureAwait(false);
                }
            }

            await Task.Delay(s_interval, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The versions (<c>/patroni</c>) of each node that runs and has not reported them since it started, read in
    /// parallel, so a slow node costs the loop at most one request timeout, and a node that is down costs nothing.
    /// </summary>
    private async Task PublishVersionsAsync(PatroniClient patroni, PatroniNodeResource[] nodes, IReadOnlyList<PatroniMember> members,
        Dictionary<string, string> published, CancellationToken ct)
    {
        var running = members.Where(m => m.IsRunning).Select(m => m.Name).ToHashSet();
        foreach (var stopped in published.Keys.Where(n => !running.Contains(n)).ToList())
        {
            published.Remove(stopped);
        }

        var unread = nodes.Where(n => running.Contains(n.Name) && !published.ContainsKey(n.Name) && n.RestEndpoint.EndpointAnnotation.AllocatedEndpoint is not null).ToList();
        var read = await Task.WhenAll(unread.Select(async node => (Node: node,
            Versions: (await ReadAsync(token => patroni.GetNodeAsync(new Uri(node.RestEndpoint.Url + "/"), token), "patroni", ct).ConfigureAwait(false))?.DescribeVersions())))
            .ConfigureAwait(false);
        foreach (var (node, versions) in read.Where(r => r.Versions is not null))
        {
            published[node.Name] = versions!;
            logger.LogInformation("Patroni node {Node} runs {Versions}", node.Name, versions);
            await notifications.PublishUpdateAsync(node, s => s with { Properties = Set(s.Properties, VersionsPropertyName, versions!, highlighted: true) }).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The cluster's own state: <c>Running</c> while one leader holds the lock (its health check then asks PostgreSQL
    /// for a primary), <c>No leader</c> mid-failover, <c>Unknown</c> while no REST API answers.
    /// </summary>
    private static (string State, string Style, string Leader) ClusterState(PatroniClusterView? view) => view switch
    {
        null => ("Unknown", KnownResourceStateStyles.Warn, ""),
        { LeaderCount: 1, Leader: { } leader } => (KnownResourceStates.Running, KnownResourceStateStyles.Success, $"{leader.Name} (timeline {leader.Timeline})"),
        { LeaderCount: 0 } => ("No leader", KnownResourceStateStyles.Warn, ""),
        _ => ($"{view.LeaderCount} leaders", KnownResourceStateStyles.Error, string.Join(", ", view.Members.Where(m => m.IsLeader).Select(m => m.Name))),
    };

    /// <summary>Green for the leader, blue for a running replica, amber for anything else (down, starting, stopped).</summary>
    private static string RoleStyle(PatroniMember? member) => member switch
    {
        { IsLeader: true, IsRunning: true } => KnownResourceStateStyles.Success,
        { IsRunning: true } => KnownResourceStateStyles.Info,
        _ => KnownResourceStateStyles.Warn,
    };

    /// <summary>"leader", "sync standby", "quorum standby", "replica", with the state when it is not running.</summary>
    private static string Describe(PatroniMember? member)
    {
        if (member is null)
        {
            return "down";
        }

        var role = member.Role.Replace('_', ' ');
        return member.IsLeader || member.IsRunning ? role : $"{role} ({member.State})";
    }

    /// <summary>A REST resource from whichever node answers; null when none does.</summary>
    private async Task<T?> ReadAsync<T>(Func<CancellationToken, Task<T>> read, string path, CancellationToken ct)
        where T : class
    {
        try
        {
            return await read(ct).ConfigureAwait(false);
        }
        catch (PatroniApiException ex)
        {
            logger.LogDebug("Patroni /{Path} did not answer: {Error}", path, ex.Message);
            return null;
        }
    }

    private static ImmutableArray<ResourcePropertySnapshot> Set(ImmutableArray<ResourcePropertySnapshot> properties, string name, object value, bool highlighted = false)
    {
        var existing = properties.FirstOrDefault(p => p.Name == name);
        return existing is null
            ? properties.Add(new(name, value) { IsHighlighted = highlighted })
            : properties.Replace(existing, existing with { Value = value, IsHighlighted = highlighted });
    }
}
