using System.Net.Http.Json;
using System.Text.Json;
using Xunit;

namespace HaStack.Testing;

/// <summary>Reads a provisioned Grafana dashboard and checks its queries against the running Prometheus.</summary>
public static class GrafanaDashboard
{
    /// <summary>The repository's root (where HaStack.sln is).</summary>
    public static string RepositoryRoot
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "HaStack.sln")))
            {
                directory = directory.Parent;
            }

            return directory?.FullName ?? throw new InvalidOperationException("HaStack.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>(panel title, PromQL) for every target of every panel of a dashboard in Observability/Grafana/dashboards.</summary>
    public static IReadOnlyList<(string Panel, string Expr)> Queries(string fileName)
    {
        var path = Path.Combine(RepositoryRoot, "src", "HaStack.Hosting", "Observability", "Grafana", "dashboards", fileName);
        using var dashboard = JsonDocument.Parse(File.ReadAllText(path));
        return dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray()
                .Select(t => (p.GetProperty("title").GetString()!, t.GetProperty("expr").GetString()!)))
            .ToArray();
    }

    /// <summary>Waits until every query of the dashboard returns at least one series; names the ones that never do.</summary>
    public static async Task AssertEveryQueryReturnsDataAsync(string fileName, Uri prometheus, TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = prometheus, Timeout = TimeSpan.FromSeconds(5) };
        var pending = Queries(fileName).ToList();
        Assert.NotEmpty(pending);
        try
        {
            await Wait.UntilAsync($"every query of {fileName} returns data", timeout, async ct =>
            {
                foreach (var query in pending.ToArray())
                {
                    var response = await http.GetFromJsonAsync<JsonElement>("/api/v1/query?query=" + Uri.EscapeDataString(query.Expr), ct);
                    if (response.GetProperty("data").GetProperty("result").GetArrayLength() > 0)
                    {
                        pending.Remove(query);
                    }
                }

                return pending.Count == 0;
            }, TimeSpan.FromSeconds(1));
        }
        catch (TimeoutException)
        {
            Assert.Fail("Dashboard queries without data: " + string.Join("; ", pending.Select(q => $"[{q.Panel}] {q.Expr}")));
        }
    }
}
