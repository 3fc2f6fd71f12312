using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using HaStack.AppHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace HaStack.Tests.Model;

/// <summary>The resource graph as the AppHost builds it; no container starts.</summary>
public class AppModelTests
{
    private static async Task<DistributedApplicationModel> BuildModelAsync(params string[] args)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(args);
        // Disposing an app that never started sometimes waits out the host's whole shutdown timeout (30 s by
        // default, measured here); nothing runs that needs it.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        await using var app = await builder.BuildAsync();
        return app.Services.GetRequiredService<DistributedApplicationModel>();
    }

    [Fact]
    public async Task DefaultStackHasThreeEtcdMembersTwoNodesRoutingAndObservability()
    {
        var model = await BuildModelAsync();
        var names = model.Resources.Select(r => r.Name).ToHashSet();

        foreach (var expected in new[] { "etcd-1", "etcd-2", "etcd-3", "pg-1", "pg-2", "router", "pgbouncer", "app", "app-ro", "pg", "etcd", "prometheus", "grafana", "alertmanager", "healthprobe", "failoverdrill" })
        {
            Assert.Contains(expected, names);
        }

        Assert.DoesNotContain("pg-3", names);
        Assert.DoesNotContain(model.Resources, r => r.GetType().Name == "PostgresServerResource");
    }

    [Fact]
    public async Task ReplicasEtcdMembersAndGrafanaFollowConfiguration()
    {
        var model = await BuildModelAsync("--HaStack:Replicas=2", "--HaStack:EtcdMembers=1", "--HaStack:Grafana=false");
        var names = model.Resources.Select(r => r.Name).ToHashSet();

        Assert.Contains("pg-3", names);
        Assert.Contains("etcd-1", names);
        Assert.DoesNotContain("etcd-2", names);
        Assert.DoesNotContain("grafana", names);
    }

    [Theory]
    [InlineData("18", "20", "1", "3", "true")]
    [InlineData("17", "20", "1", "3", "true")]
    [InlineData("15", "5", "1", "2", "false")]
    public async Task PatroniNodesAdvertiseTheirResourceNamesAndUseTheirPlatformsFastTimingWhenAsked(
        string version, string ttl, string loopWait, string retryTimeout, string failsafe)
    {
        var model = await BuildModelAsync($"--HaStack:PostgresVersion={version}", "--HaStack:Timing=fast", "--HaStack:SynchronousMode=strict");
        var node = (IResourceWithEnvironment)model.Resources.Single(r => r.Name == "pg-2");
#pragma warning disable CS0618 // The replacement builder API is heavier than this one-line read of a model.
        var env = await node.GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
#pragma warning restore CS0618

        Assert.Equal("pg-2", env["PATRONI_NAME"]);
        Assert.Equal("pg-2:5432", env["PATRONI_POSTGRESQL_CONNECT_ADDRESS"]);
        Assert.Equal("pg-2:8008", env["PATRONI_RESTAPI_CONNECT_ADDRESS"]);
        Assert.Equal("etcd-1:2379,etcd-2:2379,etcd-3:2379", env["PATRONI_ETCD3_HOSTS"]);
        Assert.Equal((ttl, loopWait, retryTimeout), (env["PATRONI_TTL"], env["PATRONI_LOOP_WAIT"], env["PATRONI_RETRY_TIMEOUT"]));
        Assert.Equal(("true", "true"), (env["HASTACK_SYNCHRONOUS_MODE"], env["HASTACK_SYNCHRONOUS_MODE_STRICT"]));
        Assert.Equal(failsafe, env["HASTACK_FAILSAFE_MODE"]);
        Assert.StartsWith("{pg-superuser-password", env["PATRONI_SUPERUSER_PASSWORD"]);
    }

    [Theory]
    [InlineData(null, "18", "forky")]
    [InlineData("17", "17", "trixie")]
    [InlineData("15", "15", "bookworm")]
    public async Task PostgresVersionSelectsTheNodeImagesReleaseAndEveryOtherComponentBuildsOnTrixie(string? version, string major, string release)
    {
        var model = await BuildModelAsync(version is null
            ? ["--HaStack:BaseImage=local/base:{release}"]
            : ["--HaStack:BaseImage=local/base:{release}", $"--HaStack:PostgresVersion={version}"]);
        IReadOnlyDictionary<string, object> BuildArgs(string name) =>
            model.Resources.Single(r => r.Name == name).Annotations.OfType<DockerfileBuildAnnotation>().Single().BuildArguments!;

        Assert.Equal($"local/base:{release}", BuildArgs("pg-1")["BASE_IMAGE"]);
        Assert.Equal(major, BuildArgs("pg-2")["PG_MAJOR"]);
        foreach (var shared in new[] { "etcd-1", "router", "pgbouncer", "prometheus", "alertmanager" })
        {
            Assert.Equal("local/base:trixie", BuildArgs(shared)["BASE_IMAGE"]);
        }
    }

    [Fact]
    public async Task AlertmanagerPostsToTheProbesWebhookWithTheSharedSecretAndPrometheusSendsItsAlertsThere()
    {
        var model = await BuildModelAsync();
        var alertmanager = (IResourceWithEndpoints)model.Resources.Single(r => r.Name == "alertmanager");
        var probe = (IResourceWithEndpoints)model.Resources.Single(r => r.Name == "healthprobe");
#pragma warning disable CS0618 // The replacement builder API is heavier than this one-line read of a model.
        var alertmanagerEnv = await ((IResourceWithEnvironment)alertmanager).GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
        var probeEnv = await ((IResourceWithEnvironment)probe).GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
#pragma warning restore CS0618

        // Its UI on its own endpoint, ready when /-/ready says so; the webhook is the probe's container-reachable port.
        var http = Assert.Single(alertmanager.Annotations.OfType<EndpointAnnotation>());
        Assert.Equal(("http", 9093), (http.Name, http.TargetPort));
        Assert.Contains(alertmanager.Annotations.OfType<HealthCheckAnnotation>(), _ => true);
        Assert.Contains("--add-host=host.docker.internal:host-gateway", await RuntimeArgsAsync(alertmanager));
        Assert.Equal("http://{healthprobe.bindings.alerts.host}:{healthprobe.bindings.alerts.port}/alerts", alertmanagerEnv["HASTACK_WEBHOOK_URL"]);
        Assert.Equal("{healthprobe-webhook-secret.value}", alertmanagerEnv["HASTACK_WEBHOOK_TOKEN"]);
        Assert.Equal("{healthprobe-webhook-secret.value}", probeEnv["Alerts__WebhookSecret"]);
        Assert.Equal("{healthprobe.bindings.alerts.targetPort}", probeEnv["Alerts__Port"]);
        Assert.Equal("0.0.0.0", probe.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "alerts").TargetHost);
        Assert.Same(alertmanager, ((PrometheusResource)model.Resources.Single(r => r.Name == "prometheus")).Alertmanager);
    }

    private static async Task<string[]> RuntimeArgsAsync(IResource resource)
    {
        var args = new List<object>();
        foreach (var annotation in resource.Annotations.OfType<ContainerRuntimeArgsCallbackAnnotation>())
        {
            await annotation.Callback(new ContainerRuntimeArgsCallbackContext(args));
        }

        return [.. args.Select(a => a.ToString()!)];
    }

    [Fact]
    public async Task QuorumModeIsPassedToPatroniAsItsOwnSynchronousModeValue()
    {
        var model = await BuildModelAsync("--HaStack:SynchronousMode=quorum", "--HaStack:Replicas=2");
#pragma warning disable CS0618 // The replacement builder API is heavier than this one-line read of a model.
        var env = await ((IResourceWithEnvironment)model.Resources.Single(r => r.Name == "pg-3")).GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
#pragma warning restore CS0618

        Assert.Equal(("quorum", "false"), (env["HASTACK_SYNCHRONOUS_MODE"], env["HASTACK_SYNCHRONOUS_MODE_STRICT"]));
    }

    [Fact]
    public async Task EveryResourceThatClientsOrOperatorsDependOnHasAHealthCheck()
    {
        var model = await BuildModelAsync();
        foreach (var name in new[] { "etcd-1", "etcd-2", "etcd-3", "pg", "pg-1", "pg-2", "router", "pgbouncer", "app", "app-ro", "prometheus", "grafana", "alertmanager", "healthprobe", "failoverdrill" })
        {
            var resource = model.Resources.Single(r => r.Name == name);
            Assert.True(resource.Annotations.OfType<HealthCheckAnnotation>().Any(), $"{name} has no health check");
        }
    }

    [Fact]
    public async Task NodesAndEtcdMembersAreChildrenOfTheirClusterAndKeepTheirOwnLifetime()
    {
        var model = await BuildModelAsync();
        string? ParentOf(string name) => model.Resources.Single(r => r.Name == name).Annotations.OfType<ResourceRelationshipAnnotation>()
            .SingleOrDefault(a => a.Type == "Parent")?.Resource.Name;

        Assert.Equal(("pg", "pg"), (ParentOf("pg-1"), ParentOf("pg-2")));
        Assert.Equal(("etcd", "etcd", "etcd"), (ParentOf("etcd-1"), ParentOf("etcd-2"), ParentOf("etcd-3")));
        // Containers of their own (not IResourceWithParent, whose state Aspire copies from the parent).
        Assert.All(new[] { "pg-1", "etcd-1" }, n => Assert.IsNotAssignableFrom<IResourceWithParent>(model.Resources.Single(r => r.Name == n)));
        Assert.Equal("etcd-1:2379,etcd-2:2379,etcd-3:2379", await ((IResourceWithConnectionString)model.Resources.Single(r => r.Name == "etcd")).GetConnectionStringAsync());
    }

    [Fact]
    public async Task ComponentsWaitForWhatTheyNeed()
    {
        var model = await BuildModelAsync();
        string[] WaitsFor(string name) => model.Resources.Single(r => r.Name == name)
            .Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name).ToArray();

        Assert.Equal(["etcd-1", "etcd-2", "etcd-3"], WaitsFor("pg-1").Order());
        // HAProxy starts once the cluster has a primary (the cluster's health); it checks every node itself.
        Assert.Equal(["pg"], WaitsFor("router"));
        Assert.Contains("router", WaitsFor("pgbouncer"));
        Assert.Contains("pgbouncer", WaitsFor("prometheus"));
        Assert.Contains("prometheus", WaitsFor("grafana"));
    }

    [Fact]
    public async Task ConnectionStringsPointAtPgBouncerAndEveryNode()
    {
        var model = await BuildModelAsync();
        var app = ((IResourceWithConnectionString)model.Resources.Single(r => r.Name == "app")).ConnectionStringExpression.ValueExpression;
        var appRo = ((IResourceWithConnectionString)model.Resources.Single(r => r.Name == "app-ro")).ConnectionStringExpression.ValueExpression;
        var direct = ((IResourceWithConnectionString)model.Resources.Single(r => r.Name == "pg")).ConnectionStringExpression.ValueExpression;

        Assert.Contains("{pgbouncer.bindings.pgbouncer.host}", app);
        Assert.Contains("Database=app;", app);
        Assert.Contains("Database=app_ro;", appRo);
        Assert.Contains("{pg-1.bindings.postgres.host}:{pg-1.bindings.postgres.port},{pg-2.bindings.postgres.host}", direct);
        Assert.Contains("Target Session Attributes=primary", direct);
    }

    [Theory]
    [InlineData("Replicas", "0", "HaStack:Replicas is '0'; allowed: a whole number from 1 to 8.")]
    [InlineData("EtcdMembers", "2", "HaStack:EtcdMembers is '2'; allowed: 1 or 3")]
    [InlineData("Timing", "turbo", "HaStack:Timing is 'turbo'; allowed: default, fast.")]
    [InlineData("SynchronousMode", "maybe", "HaStack:SynchronousMode is 'maybe'; allowed: off, on, strict, quorum.")]
    [InlineData("PostgresVersion", "16", "HaStack:PostgresVersion is '16'; allowed: 18 (PostgreSQL 18 under Patroni 4.1 on Debian forky) or 17 (PostgreSQL 17 under Patroni 4.0 on Debian trixie) or 15 (PostgreSQL 15 under Patroni 3.0 on Debian bookworm).")]
    [InlineData("PostgresVersion", "latest", "HaStack:PostgresVersion is 'latest'; allowed: 18")]
    [InlineData("BaseImage", "debian:bookworm-slim", "HaStack:BaseImage is 'debian:bookworm-slim'; allowed: an image name containing {release}")]
    [InlineData("Grafana", "yes", "HaStack:Grafana is 'yes'; allowed: true or false.")]
    [InlineData("FencedFailover", "maybe", "HaStack:FencedFailover is 'maybe'; allowed: on, off.")]
    [InlineData("BackupSchedule", "hourly", "HaStack:BackupSchedule is 'hourly'; allowed: an interval of minutes, hours or days from 1m to 31d (e.g. 30m, 6h, 1d), or off.")]
    [InlineData("BackupSchedule", "0m", "HaStack:BackupSchedule is '0m'; allowed:")]
    [InlineData("BackupSchedule", "40d", "HaStack:BackupSchedule is '40d'; allowed:")]
    [InlineData("RestoreFrom", "source; rm -rf /", "HaStack:RestoreFrom is 'source; rm -rf /'; allowed: the name of another stack")]
    [InlineData("RestoreFrom", "hastack", "HaStack:RestoreFrom is 'hastack', this stack's own name; a restore goes into a new stack")]
    [InlineData("RestoreFrom", "other", "HaStack:RestoreFrom needs HaStack:RestoreTime")]
    [InlineData("RestoreTime", "2026-12-02T12:00:00Z", "HaStack:RestoreTime is set without HaStack:RestoreFrom")]
    [InlineData("Tls", "maybe", "HaStack:Tls is 'maybe'; allowed: off, on, required.")]
    [InlineData("LogicalSlots", "orders;drop", "HaStack:LogicalSlots has 'orders;drop'; allowed: name[:plugin], comma-separated")]
    [InlineData("LogicalSlots", "orders:wal2json", "HaStack:LogicalSlots has 'orders:wal2json'; allowed:")]
    [InlineData("LogicalSlots", "orders,orders:test_decoding", "HaStack:LogicalSlots names 'orders' twice.")]
    [InlineData("Replcas", "3", "HaStack:Replcas is not a setting; known: Replicas, EtcdMembers, PostgresVersion, Timing, SynchronousMode, FencedFailover, Grafana, PublishEtcdClient, Persistent, BaseImage, Name, BackupSchedule, RestoreFrom, RestoreTime, Tls, LogicalSlots.")]
    public void InvalidSettingIsRejectedWithItsNameAndWhatIsAllowed(string key, string value, string message)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new($"HaStack:{key}", value)]).Build();

        var error = Assert.Throws<HaStackConfigurationException>(() => HaStackOptions.Load(configuration));

        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void AStackMadeBeforeThePackageKeepsItsPasswordsUnderTheirEarlierNames()
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection([
            new("Parameters:app-password", "kept-app"), new("Parameters:patroni-rest-password", "kept-rest"),
            new("Parameters:pgbouncer-auth-password", "kept-auth"), new("Parameters:pg-monitor-password", "unchanged"),
            new("Parameters:alert-webhook-secret", "kept-webhook"), new("Parameters:drill-control-secret", "kept-control")]);

        HaStackComposition.KeepEarlierParameterNames(configuration, "pg");

        Assert.Equal(("kept-app", "kept-rest", "kept-auth"), (configuration["Parameters:pg-app-password"], configuration["Parameters:pg-rest-password"], configuration["Parameters:pg-pgbouncer-auth-password"]));
        Assert.Equal(("kept-webhook", "kept-control"), (configuration["Parameters:healthprobe-webhook-secret"], configuration["Parameters:failoverdrill-control-secret"]));
        Assert.Equal("unchanged", configuration["Parameters:pg-monitor-password"]);
    }

    [Fact]
    public void AValueUnderTheCurrentNameIsNeverReplaced()
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection([new("Parameters:app-password", "earlier"), new("Parameters:pg-app-password", "current")]);

        HaStackComposition.KeepEarlierParameterNames(configuration, "pg");

        Assert.Equal("current", configuration["Parameters:pg-app-password"]);
    }

    [Fact]
    public async Task AnUnknownSettingStopsTheAppHostBeforeAnythingStartsAndNamesTheKnownOnes()
    {
        var appHost = Path.Combine(AppContext.BaseDirectory, "AppHost.dll");

        var run = await CommandRunner.RunAsync("dotnet", [appHost, "--HaStack:Replcas=3"], TimeSpan.FromSeconds(60));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("HaStack:Replcas is not a setting; known: Replicas,", run.Stderr);
        Assert.DoesNotContain("   at ", run.Stderr);
    }

    [Theory]
    [InlineData(null, "on", true)]
    [InlineData("required", "required", true)]
    [InlineData("off", "off", false)]
    public async Task TlsModeReachesTheContainersAndTheConnectionStrings(string? mode, string expected, bool verifyFull)
    {
        var model = await BuildModelAsync(mode is null ? [] : [$"--HaStack:Tls={mode}"]);

        foreach (var name in new[] { "pg-1", "pgbouncer", "router", "prometheus", "etcd-1" })
        {
            var resource = (IResourceWithEnvironment)model.Resources.Single(r => r.Name == name);
#pragma warning disable CS0618 // The replacement builder API is heavier than this one-line read of a model.
            var env = await resource.GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
#pragma warning restore CS0618
            Assert.Equal(expected, env["HASTACK_TLS"]);
            // The certificate files (never environment variables) exactly when TLS is on, decided when the container starts.
            var files = new List<ContainerFileSystemItem>();
            foreach (var callback in resource.Annotations.OfType<ContainerFileSystemCallbackAnnotation>().Where(a => a.DestinationPath == "/etc/hastack/tls"))
            {
                files.AddRange(await callback.Callback(new ContainerFileSystemCallbackContext { Model = resource, Services = new ServiceCollection().BuildServiceProvider() }, CancellationToken.None));
            }

            Assert.Equal(verifyFull, files.Count > 0);
        }

        foreach (var name in new[] { "app", "app-ro", "pg" })
        {
            var connectionString = ((IResourceWithConnectionString)model.Resources.Single(r => r.Name == name)).ConnectionStringExpression.ValueExpression;
            Assert.Equal(verifyFull, connectionString.Contains("SSL Mode=VerifyFull;Root Certificate=", StringComparison.Ordinal));
        }

        var etcd = (IResourceWithEnvironment)model.Resources.Single(r => r.Name == "etcd-1");
#pragma warning disable CS0618
        var etcdEnv = await etcd.GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
#pragma warning restore CS0618
        Assert.Equal(verifyFull ? "https://etcd-1:2379" : "http://etcd-1:2379", etcdEnv["ETCD_ADVERTISE_CLIENT_URLS"]);
    }

    [Fact]
    public void TheStackCaIssuesCertificatesForTheNamesThatChainToIt()
    {
        using var authority = StackCertificateAuthority.Create("modeltest");
        var issued = authority.Issue("pg-1", "router");
        using var leaf = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(issued.CertificatePem);
        using var root = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(authority.CertificatePem);

        Assert.True(leaf.MatchesHostname("pg-1"));
        Assert.True(leaf.MatchesHostname("router"));
        Assert.True(leaf.MatchesHostname("localhost"));
        Assert.False(leaf.MatchesHostname("pg-2"));
        Assert.True(HaStack.Patroni.StackTrust.Validate(root, leaf, System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(HaStack.Patroni.StackTrust.Validate(root, leaf, System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch));

        // Kept across runs as the parameter's PEM: read back, it is the same CA; anything else is a clear error.
        using var again = StackCertificateAuthority.FromPem(authority.ToPem(), "hastack-ca");
        Assert.Equal(authority.CertificatePem, again.CertificatePem);
        var error = Assert.Throws<HaStackConfigurationException>(() => StackCertificateAuthority.FromPem("not a certificate", "hastack-ca"));
        Assert.Contains("Parameters:hastack-ca is not a usable certificate authority", error.Message);

        using var other = StackCertificateAuthority.Create("other");
        using var otherRoot = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(other.CertificatePem);
        Assert.False(HaStack.Patroni.StackTrust.Validate(otherRoot, leaf, System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Theory]
    [InlineData("2026-12-02T12:34:56", "an ISO 8601 time with its offset")]
    [InlineData("yesterday", "an ISO 8601 time with its offset")]
    public void ARestoreTimeWithoutAnOffsetOrNotATimeIsRejected(string time, string message)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            [new("HaStack:Name", "restored"), new("HaStack:RestoreFrom", "hastack"), new("HaStack:RestoreTime", time)]).Build();

        var error = Assert.Throws<HaStackConfigurationException>(() => HaStackOptions.Load(configuration));

        Assert.Contains($"HaStack:RestoreTime is '{time}'; allowed: {message}", error.Message);
    }

    [Theory]
    [InlineData(null, 3600.0)]
    [InlineData("30m", 1800.0)]
    [InlineData("6h", 21600.0)]
    [InlineData("1d", 86400.0)]
    [InlineData("off", null)]
    public void TheBackupScheduleIsAnIntervalOrOff(string? value, double? seconds)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(value is null ? [] : [new("HaStack:BackupSchedule", value)]).Build();

        Assert.Equal(seconds, HaStackOptions.Load(configuration).BackupSchedule?.TotalSeconds);
    }

    [Fact]
    public void ARestoreNamesItsSourceAndTheTimeInUtc()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            [new("HaStack:Name", "restored"), new("HaStack:RestoreFrom", "hastack"), new("HaStack:RestoreTime", "2026-12-02T13:34:56.5+01:00")]).Build();

        var options = HaStackOptions.Load(configuration);

        Assert.Equal("hastack", options.RestoreFrom);
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 12, 34, 56, 500, TimeSpan.Zero), options.RestoreTime);
    }

    [Fact]
    public void LogicalSlotsOnPostgres15AreRefusedWithTheReason()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            [new("HaStack:PostgresVersion", "15"), new("HaStack:LogicalSlots", "orders_cdc")]).Build();

        var error = Assert.Throws<HaStackConfigurationException>(() => HaStackOptions.Load(configuration));

        Assert.Contains("HaStack:LogicalSlots needs PostgreSQL 17 or later (slot synchronization to standbys); HaStack:PostgresVersion is 15.", error.Message);
    }

    [Fact]
    public void QuorumModeOnPostgres15IsRefusedWithTheReason()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            [new("HaStack:PostgresVersion", "15"), new("HaStack:SynchronousMode", "quorum")]).Build();

        var error = Assert.Throws<HaStackConfigurationException>(() => HaStackOptions.Load(configuration));

        Assert.Contains("HaStack:SynchronousMode is 'quorum' with HaStack:PostgresVersion=15; quorum commit needs Patroni 4", error.Message);
        Assert.Contains("Allowed here: off, on, strict.", error.Message);
    }

    [Fact]
    public async Task AppHostWithAnUnknownPostgresVersionExitsBeforeStartingAnything()
    {
        var (exitCode, stdout, stderr) = await RunAppHostAsync("--HaStack:PostgresVersion=14");

        Assert.Equal(2, exitCode);
        Assert.Contains("HaStack:PostgresVersion is '14'; allowed: 18", stderr);
        Assert.DoesNotContain("   at ", stderr + stdout);
        Assert.DoesNotContain("Distributed application started", stdout);
    }

    [Fact]
    public async Task AppHostWithAnInvalidSettingExitsBeforeStartingAnythingWithAOneLineReason()
    {
        var (exitCode, stdout, stderr) = await RunAppHostAsync("--HaStack:Replicas=abc", "--HaStack:Timing=turbo");

        Assert.Equal(2, exitCode);
        Assert.Contains("HaStack:Replicas is 'abc'", stderr);
        Assert.Contains("HaStack:Timing is 'turbo'", stderr);
        Assert.DoesNotContain("   at ", stderr + stdout);
        Assert.DoesNotContain("Distributed application started", stdout);
    }

    [Fact]
    public async Task PublishWritesAManifestWithEveryResource()
    {
        var path = Path.Combine(Path.GetTempPath(), $"hastack-manifest-{Guid.NewGuid():N}.json");
        try
        {
            var (exitCode, stdout, stderr) = await RunAppHostAsync("--publisher", "manifest", "--output-path", path);
            Assert.True(exitCode == 0, stdout + stderr);

            using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(path));
            var resources = manifest.RootElement.GetProperty("resources");
            foreach (var name in new[] { "etcd-1", "etcd-3", "pg-1", "pg-2", "router", "pgbouncer", "app", "app-ro", "pg", "prometheus", "grafana" })
            {
                Assert.True(resources.TryGetProperty(name, out _), $"{name} missing from the manifest");
            }

            Assert.Equal("container.v1", resources.GetProperty("pg-1").GetProperty("type").GetString());
            Assert.True(resources.GetProperty("pg-1").TryGetProperty("build", out _), "pg-1 is built from its Dockerfile");
            Assert.DoesNotContain("Password=", File.ReadAllText(path).Replace("Password={", ""));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAppHostAsync(params string[] args)
    {
        var result = await CommandRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "AppHost.dll"), .. args], TimeSpan.FromSeconds(60));
        return (result.ExitCode, result.Stdout, result.Stderr);
    }
}
