using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using HaStack.FailoverDrill.Drills;
using Microsoft.Extensions.DependencyInjection;

namespace FailoverDrill.Tests.Integration;

/// <summary>
/// Nothing that changes the cluster answers without the stack's secret, or from beyond the host: the drill service's
/// control endpoint, Patroni's REST API (its own password), and etcd's client port (not published at all).
/// </summary>
[Collection(DrillCollection.Name)]
public class ControlEndpointTests(DrillCluster cluster)
{
    [Fact]
    public async Task DrillRequestsWithoutTheSecretOrWithAWrongOneAreRefusedAndNothingRuns()
    {
        var leader = await cluster.LeaderAsync(default);
        using var anonymous = new HttpClient { BaseAddress = cluster.DrillService };
        // Every drill kind and the chaos soak: nothing changes the cluster without the secret.
        foreach (var route in Enum.GetValues<DrillKind>().Select(k => "drills/" + DrillKinds.Name(k)).Append("soaks/chaos"))
        {
            using var none = await anonymous.PostAsync($"/{route}?wait=true", content: null);
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            Assert.Contains("control secret is required", await none.Content.ReadAsStringAsync());

            using var wrong = new HttpRequestMessage(HttpMethod.Post, $"/{route}?wait=true");
            wrong.Headers.Authorization = new("Bearer", "not-the-secret");
            using var refused = await anonymous.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        // The metrics endpoint (the one bound beyond loopback, for Prometheus) serves metrics and health only.
        using var metrics = new HttpClient { BaseAddress = cluster.GetEndpoint("failoverdrill", "metrics") };
        using var secretHeader = await cluster.CreateControlClientAsync();
        using var viaMetrics = new HttpRequestMessage(HttpMethod.Post, "/drills/crash?wait=true");
        viaMetrics.Headers.Authorization = secretHeader.DefaultRequestHeaders.Authorization;
        Assert.Equal(HttpStatusCode.NotFound, (await metrics.SendAsync(viaMetrics)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await metrics.GetAsync("/drills/last")).StatusCode);
        Assert.Contains("# TYPE target_info", await metrics.GetStringAsync("/metrics")); // the Prometheus exporter, whatever ran before

        using var drills = System.Text.Json.JsonDocument.Parse(await anonymous.GetStringAsync("/drills"));
        Assert.True(!drills.RootElement.TryGetProperty("running", out var running) || running.ValueKind == System.Text.Json.JsonValueKind.Null,
            $"a drill is running: {drills.RootElement}");
        Assert.Equal(leader, await cluster.LeaderAsync(default));
    }

    [Fact]
    public async Task NoControlEndpointIsBoundToAWildcardAddressAndNoneAnswersFromAnotherAddress()
    {
        // The drill service's own listeners, as the AppHost declares them: control on localhost, metrics beyond.
        var drill = cluster.App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<FailoverDrillResource>().Single(r => r.Name == "failoverdrill");
        Assert.Equal("localhost", drill.GetEndpoint("http").EndpointAnnotation.TargetHost);
        Assert.Equal("0.0.0.0", drill.GetEndpoint("metrics").EndpointAnnotation.TargetHost);

        // What the drill service's own processes listen on (read from /proc, not from what Aspire was told): one port
        // beyond loopback, which serves metrics and refuses drills even with the secret; every other port on loopback.
        var listeners = ListeningSockets();
        var drillSockets = SocketInodesOfProcessTree(ProcessIdOf("failoverdrill"));
        var drillListeners = listeners.Where(l => drillSockets.Contains(l.Inode)).ToList();
        var metricsPort = Assert.Single(drillListeners.Where(l => !IsLoopback(l.Address)).Select(l => l.Port).Distinct());
        using var secret = await cluster.CreateControlClientAsync();
        using (var metricsOnly = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") })
        {
            Assert.Contains("# TYPE target_info", await metricsOnly.GetStringAsync("/metrics"));
            using var drillThere = new HttpRequestMessage(HttpMethod.Post, "/drills/crash?wait=true");
            drillThere.Headers.Authorization = secret.DefaultRequestHeaders.Authorization;
            Assert.Equal(HttpStatusCode.NotFound, (await metricsOnly.SendAsync(drillThere)).StatusCode);
        }

        var controlPorts = drillListeners.Where(l => l.Port != metricsPort).Select(l => l.Port).Distinct().ToList();
        Assert.NotEmpty(controlPorts);
        foreach (var port in controlPorts)
        {
            Assert.All(drillListeners.Where(l => l.Port == port), l => Assert.True(IsLoopback(l.Address), $"drill control port {port} is bound to {l.Address}"));
            using var unauthenticated = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            Assert.Equal(HttpStatusCode.Unauthorized, (await unauthenticated.PostAsync("/drills/crash?wait=true", content: null)).StatusCode);
        }

        // Aspire's proxy in front of the control API, and Patroni's REST APIs (switchover, restart): loopback only.
        var ports = controlPorts.Select(p => ("drill service", p)).ToList();
        ports.Add(("drill proxy", cluster.DrillService.Port));
        ports.AddRange(cluster.PatroniUrls.Select(kv => ($"{kv.Key} REST API", kv.Value.Port)));
        foreach (var (what, port) in ports)
        {
            var bound = listeners.Where(l => l.Port == port).ToList();
            Assert.True(bound.Count > 0, $"nothing listens on {what} port {port}");
            Assert.All(bound, l => Assert.True(IsLoopback(l.Address), $"{what} port {port} is bound to {l.Address}"));
        }

        // And a connection from another of this host's addresses is refused outright.
        var other = NetworkInterface.GetAllNetworkInterfaces().Where(n => n.OperationalStatus == OperationalStatus.Up)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        Assert.NotNull(other);
        foreach (var (what, port) in ports)
        {
            using var client = new TcpClient();
            var error = await Assert.ThrowsAnyAsync<SocketException>(() => client.ConnectAsync(other, port));
            Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        }

        // etcd's client port (read-write, no authentication) is not published unless HaStack:PublishEtcdClient asks.
        foreach (var member in new[] { "etcd-1", "etcd-2", "etcd-3" })
        {
            var published = await HaStack.Testing.Docker.RunAsync("port", cluster.ContainerIdOf(member));
            Assert.DoesNotContain("2379", published);
            Assert.Contains("2381", published);
        }
    }

    private static bool IsLoopback(IPAddress address) => IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    /// <summary>The process id Aspire reports for a project resource (<c>dotnet run</c>; the service is its child).</summary>
    private int ProcessIdOf(string resource) =>
        cluster.App.ResourceNotifications.TryGetCurrentState(resource, out var state)
        && state.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value?.ToString() is { } pid
            ? int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"{resource} has no process id");

    /// <summary>Socket inodes held open by a process and all its descendants (<c>/proc/*/stat</c> parents, <c>/proc/*/fd</c>).</summary>
    private static HashSet<long> SocketInodesOfProcessTree(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(d => int.TryParse(d, out _)))
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{dir}/stat");
                parents[int.Parse(dir!)] = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
            }
            catch (IOException)
            {
            }
        }

        var tree = new HashSet<int> { root };
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var (pid, parent) in parents)
            {
                grew |= tree.Contains(parent) && tree.Add(pid);
            }
        }

        var inodes = new HashSet<long>();
        foreach (var pid in tree)
        {
            try
            {
                foreach (var fd in Directory.GetFiles($"/proc/{pid}/fd"))
                {
                    if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                    {
                        inodes.Add(long.Parse(target[8..^1]));
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }

        return inodes;
    }

    /// <summary>Every listening TCP socket on this host, from <c>/proc/net/tcp</c> and <c>/proc/net/tcp6</c>.</summary>
    private static List<(IPAddress Address, int Port, long Inode)> ListeningSockets()
    {
        var result = new List<(IPAddress, int, long)>();
        foreach (var file in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            foreach (var line in File.ReadLines(file).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 4 || fields[3] != "0A")
                {
                    continue; // 0A: LISTEN
                }

                var (hex, port) = (fields[1].Split(':')[0], Convert.ToInt32(fields[1].Split(':')[1], 16));
                var bytes = Convert.FromHexString(hex);
                // The kernel prints each 32-bit word in host (little-endian) order.
                for (var i = 0; i < bytes.Length; i += 4)
                {
                    Array.Reverse(bytes, i, 4);
                }

                result.Add((new IPAddress(bytes), port, long.Parse(fields[9])));
            }
        }

        return result;
    }
}
