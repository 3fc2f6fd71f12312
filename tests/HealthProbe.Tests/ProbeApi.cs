using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;

namespace HealthProbe.Tests;

/// <summary>The running probe's <c>/status</c>, read the way an operator or the FailoverDrill reads it.</summary>
public sealed class ProbeApi(Uri baseUrl) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(3) };

    public HttpClient Http => _http;

    public async Task<JsonElement> StatusAsync(CancellationToken ct = default) =>
        await _http.GetFromJsonAsync<JsonElement>("/status", ct);

    /// <summary>Polls <c>/status</c> every 100 ms until <paramref name="condition"/> holds; returns that report.</summary>
    public async Task<JsonElement> WaitForAsync(string what, TimeSpan timeout, Func<JsonElement, bool> condition)
    {
        JsonElement last = default;
        try
        {
            await Wait.UntilAsync(what, timeout, async ct =>
            {
                last = await StatusAsync(ct);
                return condition(last);
            }, TimeSpan.FromMilliseconds(100));
        }
        catch (TimeoutException ex) when (last.ValueKind == JsonValueKind.Object)
        {
            throw new TimeoutException($"{ex.Message} Last report: {last}", ex);
        }

        return last;
    }

    public Task<JsonElement> WaitForVerdictAsync(string verdict, TimeSpan timeout) =>
        WaitForAsync($"the probe's verdict is {verdict}", timeout, s => Verdict(s) == verdict);

    public static string? Verdict(JsonElement status) => status.GetProperty("verdict").GetString();

    public static string? Leader(JsonElement status) =>
        status.TryGetProperty("leader", out var leader) && leader.ValueKind == JsonValueKind.String ? leader.GetString() : null;

    public static string Reasons(JsonElement status) =>
        string.Join("; ", status.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));

    public static JsonElement Member(JsonElement status, string name) =>
        status.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("name").GetString() == name);

    public void Dispose() => _http.Dispose();
}

/// <summary>What one run of <c>healthprobe check …</c> printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the built HealthProbe binary's CLI, as <c>dotnet run --project HealthProbe -- check …</c> would.</summary>
public static class ProbeCli
{
    public static async Task<CliResult> CheckAsync(params string[] args)
    {
        var result = await CommandRunner.RunAsync("dotnet", [ProbeDll, "check", .. args], Timeouts.Scaled(60));
        return new CliResult(result.ExitCode, result.Stdout, result.Stderr);
    }

    /// <summary>HealthProbe/bin/&lt;configuration&gt;/net10.0/HealthProbe.dll, built with this test project.</summary>
    public static string ProbeDll
    {
        get
        {
            var configuration = typeof(ProbeCli).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
            var path = Path.Combine(GrafanaDashboard.RepositoryRoot, "HealthProbe", "bin", configuration, "net10.0", "HealthProbe.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("HealthProbe is not built", path);
        }
    }
}
