using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace HaStack.Tests.Integration;

/// <summary>
/// The sample in <c>samples/</c>, as a team outside this repository gets it: copied to a folder of its own, HaStack
/// packed into a local feed there (<c>scripts/pack.sh</c>), restored and built from that feed, then started as the
/// team would start it (its AppHost's own process, with its launch profile's settings). Its API answers on
/// <see cref="ApiUrl"/>. Disposing it stops the AppHost with SIGTERM, as Ctrl+C would, and removes any container left.
/// </summary>
public partial class SampleApp : IAsyncLifetime
{
    // The copy is built once per test run and shared by the fixtures (the sample on HaStack, the sample on AddPostgres):
    // they run one after the other (the "sample" collection) and differ only in their settings.
    private static readonly SemaphoreSlim s_build = new(1, 1);
    private static string? s_root;

    /// <summary>The collection of the sample's fixtures: one AppHost at a time (its ports are fixed).</summary>
    public const string Collection = "sample";

    public static readonly Uri ApiUrl = new("http://localhost:5280");

    /// <summary>The drill add-on's API, on the port the sample pins for scripts.</summary>
    public static readonly Uri DrillsUrl = new("http://localhost:5290");

    /// <summary>The control secret the test gives the sample (its parameter <c>db-drills-control-secret</c>).</summary>
    private readonly string _controlSecret = Guid.NewGuid().ToString("N");
    private Process? _appHost;
    private StreamWriter? _log;

    /// <summary>The copy's root (holds <c>samples/</c> and <c>artifacts/packages</c>).</summary>
    public string Root { get; private set; } = "";

    public string Samples => Path.Combine(Root, "samples");

    public string AppHostDll => Path.Combine(Samples, "OrdersApp.AppHost", "bin", "Debug", "net10.0", "OrdersApp.AppHost.dll");

    public HttpClient Api { get; } = new() { BaseAddress = ApiUrl, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>A client of the drill API with the control secret; a drill with <c>wait=true</c> answers when it is over.</summary>
    public HttpClient Drills => field ??= new HttpClient { BaseAddress = DrillsUrl, Timeout = Timeouts.Scaled(300), DefaultRequestHeaders = { Authorization = new("Bearer", _controlSecret) } };

    /// <summary>This repository's root.</summary>
    public static string Repository { get; } = FindRepository();

    /// <summary>Settings of this fixture's AppHost beyond the launch profile's, as environment variables.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string>> Settings => [];

    public async Task InitializeAsync()
    {
        Root = await BuildOnceAsync();

        var logDirectory = Environment.GetEnvironmentVariable("HASTACK_TEST_LOGS") is { Length: > 0 } d ? d : Path.Combine(Directory.GetCurrentDirectory(), "test-logs");
        Directory.CreateDirectory(logDirectory);
        _log = new StreamWriter(Path.Combine(logDirectory, $"{GetType().Name}-{DateTime.UtcNow:yyyyMMdd-HHmmss}.log")) { AutoFlush = true };
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.GetDirectoryName(AppHostDll)! };
        start.ArgumentList.Add(AppHostDll);
        // What the sample's launch profile sets (dotnet run would read it); HaStack__BaseImage comes from the test run.
        start.Environment["ASPNETCORE_URLS"] = "http://localhost:15280";
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        start.Environment["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = "http://localhost:19280";
        start.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = "http://localhost:20280";
        // A parameter's value from the environment, as a CI job would give it (it is otherwise generated and kept in
        // the sample's user secrets).
        start.Environment["Parameters__db-drills-control-secret"] = _controlSecret;
        foreach (var (name, value) in Settings)
        {
            start.Environment[name] = value;
        }

        _appHost = Process.Start(start) ?? throw new InvalidOperationException("the sample's AppHost did not start");
        _appHost.OutputDataReceived += (_, e) => Write(e.Data);
        _appHost.ErrorDataReceived += (_, e) => Write(e.Data);
        _appHost.BeginOutputReadLine();
        _appHost.BeginErrorReadLine();
        try
        {
            await Wait.UntilAsync("the sample's API answers /health", Timeouts.ClusterStart, async ct =>
            {
                Assert.False(_appHost.HasExited, $"The sample's AppHost exited with {(_appHost.HasExited ? _appHost.ExitCode : 0)}; see its log");
                using var response = await Api.GetAsync("/health", ct);
                return response.IsSuccessStatusCode;
            }, TimeSpan.FromSeconds(1));
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Runs a drill of the add-on (<c>POST /drills/{kind}?wait=true</c>) and returns its report. Until the probe's
    /// verdict lets drills run, the drill service refuses (412); the drill is asked again.
    /// </summary>
    public async Task<JsonDocument> RunDrillAsync(string kind)
    {
        JsonDocument? report = null;
        await Wait.UntilAsync($"the {kind} drill is accepted", Timeouts.Scaled(120), async _ =>
        {
            // Not cut short by the wait for acceptance: once accepted, the drill answers when it is over.
            using var response = await Drills.PostAsync($"/drills/{kind}?wait=true", content: null);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.PreconditionFailed, $"POST /drills/{kind} answered {(int)response.StatusCode}: {body}");
            if (response.StatusCode == HttpStatusCode.PreconditionFailed)
            {
                return false;
            }

            report = JsonDocument.Parse(body);
            return true;
        }, TimeSpan.FromSeconds(3));
        return report!;
    }

    /// <summary>Each order row a node stores (<c>id request_id customer</c>), read through psql inside its container.</summary>
    public static async Task<HashSet<string>> StoredOrdersAsync(string container) =>
        (await Docker.RunAsync("exec", container, "psql", "-h", "/var/run/postgresql", "-U", "postgres", "-d", "app", "-AtXc",
            "SELECT id || ' ' || request_id || ' ' || customer FROM orders"))
        .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();

    /// <summary>The sample's Patroni nodes' containers (<c>db-{run}-db-N</c>).</summary>
    public async Task<string[]> NodeContainersAsync() =>
        [.. (await Docker.RunAsync("ps", "--format", "{{.Names}}")).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(n => NodeContainer().IsMatch(n)).Order()];

    /// <summary>The node whose Patroni answers <c>GET /primary</c> with 200, asked inside its container.</summary>
    public async Task<string?> LeaderContainerAsync()
    {
        foreach (var container in await NodeContainersAsync())
        {
            var (_, code, _) = await Docker.TryRunAsync("exec", container, "curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "https://localhost:8008/primary");
            if (code.Trim() == "200")
            {
                return container;
            }
        }

        return null;
    }

    public async Task DisposeAsync()
    {
        Api.Dispose();
        Drills.Dispose();
        if (_appHost is { } process)
        {
            _appHost = null;
            if (!process.HasExited)
            {
                // As Ctrl+C: the AppHost stops its resources and removes their containers.
                await CommandRunner.RunAsync("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
                using var cts = new CancellationTokenSource(Timeouts.Shutdown);
                try
                {
                    await process.WaitForExitAsync(cts.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                }
            }

            process.Dispose();
        }

        // The orchestrator removes the containers once the AppHost is gone; whatever a failed stop left is removed here.
        var left = await LeftoverContainersAsync();
        for (var waited = 0; left.Length > 0 && waited < 60; waited++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            left = await LeftoverContainersAsync();
        }

        if (left.Length > 0)
        {
            Write($"[test] removing containers left after the AppHost stopped: {string.Join(", ", left)}");
            await Docker.TryRunAsync(["rm", "-f", .. left]);
        }

        _log?.Dispose();
    }

    /// <summary>
    /// The copy, HaStack packed into its local feed and the sample restored and built from it, the first time it is
    /// asked for in this test run; removed when the test run's process exits.
    /// </summary>
    private static async Task<string> BuildOnceAsync()
    {
        await s_build.WaitAsync();
        try
        {
            if (s_root is { } built)
            {
                return built;
            }

            var root = Path.Combine(Path.GetTempPath(), "hastack-sample-" + Guid.NewGuid().ToString("N")[..8]);
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                if (Directory.Exists(root))
                {
                    Directory.Delete(root, recursive: true);
                }
            };
            var samples = Path.Combine(root, "samples");
            CopyDirectory(Path.Combine(Repository, "samples"), samples);
            var pack = await CommandRunner.RunAsync(Path.Combine(Repository, "scripts", "pack.sh"), [Path.Combine(root, "artifacts", "packages")], Timeouts.Scaled(300));
            Assert.True(pack.ExitCode == 0, $"pack.sh failed: {pack.Stderr}");
            var build = await CommandRunner.RunAsync("dotnet", ["build", Path.Combine(samples, "OrdersApp.slnx"), "-v", "quiet", "-nologo"], Timeouts.Scaled(600));
            Assert.True(build.ExitCode == 0, $"The sample did not build from the local feed: {build.Stdout}{build.Stderr}");
            return s_root = root;
        }
        finally
        {
            s_build.Release();
        }
    }

    /// <summary>Containers of the sample still existing (there should be none once it stopped).</summary>
    public static async Task<string[]> LeftoverContainersAsync() =>
        [.. (await Docker.RunAsync("ps", "-a", "--format", "{{.Names}}")).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(n => SampleContainer().IsMatch(n))];

    private void Write(string? line)
    {
        if (line is not null)
        {
            lock (this)
            {
                _log?.WriteLine(line);
            }
        }
    }

    private static string FindRepository()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "HaStack.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("HaStack.sln not found above " + AppContext.BaseDirectory);
    }

    private static void CopyDirectory(string source, string target)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(source, file);
            if (relative.Split(Path.DirectorySeparatorChar).Any(p => p is "bin" or "obj"))
            {
                continue;
            }

            var destination = Path.Combine(target, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
    }

    [GeneratedRegex(@"^db-[0-9a-f]{8}-db-\d+$")]
    private static partial Regex NodeContainer();

    [GeneratedRegex(@"^(db-[0-9a-f]{8}-|orders-postgres$)")]
    private static partial Regex SampleContainer();
}
