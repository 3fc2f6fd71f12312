using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace HealthProbe.Tests.Integration;

/// <summary>The stack with its HealthProbe, plus what the tests need to reach the probe and drive the CLI from the host.</summary>
public class ProbeCluster : HaStackCluster
{
    private ProbeApi? _probe;

    public ProbeApi Probe => _probe ??= new ProbeApi(GetEndpoint("healthprobe", "http"));

    /// <summary>A superuser DSN with one host per node in --patroni order (the CLI's --dsn).</summary>
    public async Task<string> DsnAsync(string? password = null)
    {
        var hosts = string.Join(',', NodeNames.Select(n => GetEndpoint(n, "postgres")).Select(e => $"{e.Host}:{e.Port}"));
        return $"Host={hosts};Username=postgres;Password={password ?? await GetParameterAsync("pg-superuser-password")};Database=postgres";
    }

    /// <summary>Patroni's maintenance mode on or off (<c>PATCH /config {"pause": …}</c>, authenticated), as <c>patronictl pause</c> does.</summary>
    public Task SetMaintenanceModeAsync(bool paused) => Patroni.SetMaintenanceModeAsync(paused, default);

    /// <summary>The engine's name of a node's container.</summary>
    public string ContainerOf(string node) =>
        App.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<PatroniNodeResource>().Single(r => r.Name == node).ContainerName;

    /// <summary>Runs the docker CLI and fails the test with its output if it fails.</summary>
    public static async Task DockerAsync(params string[] args)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker {string.Join(' ', args)} failed: {await error}");
        }
    }
}

/// <summary>A cluster of its own for the tests that pause replay, stop a replica and switch the leader over.</summary>
public sealed class ProbeDisruptionCluster : ProbeCluster;
