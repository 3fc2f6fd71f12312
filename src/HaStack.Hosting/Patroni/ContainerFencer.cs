using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace HaStack.Hosting;

/// <summary>
/// Fencing-confirmed failover (<c>WithFencedFailover</c>). Follows the container engine's event stream for the
/// Patroni nodes' containers; when one <em>dies</em> (killed, crashed, exited: every process of the node is gone, so
/// it is fenced), the leader key is deleted in etcd with a compare-and-delete on its value, the dead member's name.
/// A replica then takes the lock at once instead of waiting out the ttl. Nothing short of a container's death
/// triggers it: a paused, unreachable or slow node keeps the lease path, and so does everything while the AppHost
/// itself is down. The delete runs as <c>etcdctl txn</c> inside an etcd member's container (its client port is not
/// published to the host), trying each member in turn.
/// </summary>
internal sealed class ContainerFencer(
    IReadOnlyDictionary<string, string> memberOfContainer,
    IReadOnlyList<string> etcdContainers,
    string leaderKey,
    bool etcdTls,
    PatroniClusterResource cluster,
    ResourceNotificationService notifications,
    ContainerEngine engine,
    ILogger logger)
{
    /// <summary>The cluster property with the last fencing: member, when, how long the release took.</summary>
    public const string LastFencingPropertyName = "patroni.last_fencing";

    private static readonly TimeSpan s_etcdTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Follows the engine's events until <paramref name="stoppingToken"/>; a broken stream is reopened.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        logger.LogInformation("Fencing-confirmed failover on: a dead container's leader key is released in etcd ({Key})", leaderKey);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await FollowEventsAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("The container event stream broke ({Error}); reopening it. Until then a dead leader's lock expires by its ttl.", ex.Message);
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task FollowEventsAsync(CancellationToken ct)
    {
        List<string> arguments = ["events", "--format", "{{json .}}", "--filter", "type=container", "--filter", "event=die"];
        foreach (var container in memberOfContainer.Keys)
        {
            arguments.Add("--filter");
            arguments.Add("container=" + container);
        }

        await foreach (var line in engine.StreamAsync(arguments, ct).ConfigureAwait(false))
        {
            var seen = Stopwatch.GetTimestamp();
            if (Parse(line) is not var (container, exitCode) || !memberOfContainer.TryGetValue(container, out var member))
            {
                continue;
            }

            await FenceAsync(member, exitCode, seen, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The container's name and exit code of a <c>die</c> event, or null for anything else.</summary>
    private static (string Container, string ExitCode)? Parse(string line)
    {
        try
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            if (!root.TryGetProperty("Action", out var action) || action.GetString() != "die"
                || !root.TryGetProperty("Actor", out var actor) || !actor.TryGetProperty("Attributes", out var attributes)
                || !attributes.TryGetProperty("name", out var name))
            {
                return null;
            }

            return (name.GetString() ?? "", attributes.TryGetProperty("exitCode", out var code) ? code.GetString() ?? "?" : "?");
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Deletes the leader key if, and only if, it still names <paramref name="member"/>.</summary>
    private async Task FenceAsync(string member, string exitCode, long seen, CancellationToken ct)
    {
        foreach (var etcd in etcdContainers)
        {
            var outcome = await CompareAndDeleteAsync(etcd, member, ct).ConfigureAwait(false);
            if (outcome is null)
            {
                continue;
            }

            var elapsed = Stopwatch.GetElapsedTime(seen);
            if (outcome == true)
            {
                logger.LogWarning("Fenced {Member}: its container died (exit code {ExitCode}); released its leader key in {Milliseconds:0} ms", member, exitCode, elapsed.TotalMilliseconds);
                var text = $"{member} at {DateTime.UtcNow:HH:mm:ss} UTC (container died, exit code {exitCode}; lock released in {elapsed.TotalMilliseconds:0} ms)";
                await notifications.PublishUpdateAsync(cluster, s => s with
                {
                    Properties = s.Properties.Where(p => p.Name != LastFencingPropertyName).ToImmutableArray().Add(new(LastFencingPropertyName, text) { IsHighlighted = true }),
                }).ConfigureAwait(false);
            }
            else
            {
                logger.LogInformation("{Member}'s container died (exit code {ExitCode}); it did not hold the leader key, nothing to release", member, exitCode);
            }

            return;
        }

        logger.LogWarning("{Member}'s container died but no etcd member took the compare-and-delete: its lock expires by its ttl", member);
    }

    /// <summary><c>etcdctl txn</c> in one etcd container: true released, false the key named someone else (or none), null etcd did not answer.</summary>
    private async Task<bool?> CompareAndDeleteAsync(string etcdContainer, string member, CancellationToken ct)
    {
        // With TLS, etcdctl verifies the member's certificate (it names 127.0.0.1 too) against the stack's CA.
        string[] endpoint = etcdTls
            ? ["--endpoints=https://127.0.0.1:2379", $"--cacert={StackTls.ContainerDirectory}/ca.crt"]
            : ["--endpoints=http://127.0.0.1:2379"];
        // Compares, blank line, requests on success, blank line, requests on failure (none).
        var result = await engine.RunAsync(["exec", "-i", etcdContainer, "etcdctl", .. endpoint, "--command-timeout=3s", "txn"], s_etcdTimeout, ct,
            input: $"value(\"{leaderKey}\") = \"{member}\"\n\ndel {leaderKey}\n\n\n").ConfigureAwait(false);
        if (!result.Succeeded)
        {
            logger.LogDebug("etcdctl txn in {Container} failed: {Error}", etcdContainer, result.Error.Trim());
            return null;
        }

        return result.Output.TrimStart().StartsWith("SUCCESS", StringComparison.Ordinal);
    }
}
