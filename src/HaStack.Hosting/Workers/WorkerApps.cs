using System.Reflection;

namespace HaStack.Hosting;

/// <summary>
/// HaStack's two .NET workers (HealthProbe, FailoverDrill) run as prebuilt apps: <c>dotnet exec</c> of a
/// framework-dependent build, as an <see cref="ExecutableResource"/>. Where the app is comes from the AppHost
/// assembly's metadata <c>HaStack.Worker.{name}</c>, written at build time by the package's <c>buildTransitive</c>
/// targets (its <c>tools/workers/</c> folder) or, in HaStack's own repository, by the worker projects' build.
/// </summary>
internal static class WorkerApps
{
    public const string HealthProbe = "HealthProbe";
    public const string FailoverDrill = "FailoverDrill";

    /// <summary>The metadata key naming <paramref name="worker"/>'s entry assembly.</summary>
    public static string MetadataKey(string worker) => $"HaStack.Worker.{worker}";

    /// <summary>
    /// The entry assembly of <paramref name="worker"/>. In publish mode nothing runs, so a missing app is no error
    /// there (the add-ons are left out of the manifest).
    /// </summary>
    /// <exception cref="HaStackConfigurationException">The app is not named or not there, in run mode.</exception>
    public static string Locate(IDistributedApplicationBuilder builder, string worker)
    {
        var path = builder.AppHostAssembly?.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == MetadataKey(worker))?.Value;
        if (builder.ExecutionContext.IsPublishMode)
        {
            return path ?? $"{worker}.dll";
        }

        if (path is not { Length: > 0 })
        {
            throw new HaStackConfigurationException([
                $"HaStack's {worker} app is not known to this AppHost: its assembly has no '{MetadataKey(worker)}' metadata. " +
                "Reference HaStack.Hosting as a PackageReference (its build targets add it), and build the AppHost again."]);
        }

        if (!File.Exists(path))
        {
            throw new HaStackConfigurationException([
                $"HaStack's {worker} app is missing at '{path}'. Restore and build the AppHost again (dotnet build)."]);
        }

        return path;
    }

    /// <summary>
    /// The .NET host that runs the AppHost (its own <c>dotnet</c> when it runs under one), so that the worker runs on
    /// the same runtime; otherwise <c>dotnet</c> from <c>DOTNET_ROOT</c> or the PATH.
    /// </summary>
    public static string DotnetHost()
    {
        if (Environment.ProcessPath is { } process && Path.GetFileNameWithoutExtension(process) == "dotnet")
        {
            return process;
        }

        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        var candidate = root is { Length: > 0 } ? Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet") : null;
        return candidate is not null && File.Exists(candidate) ? candidate : "dotnet";
    }

    /// <summary>
    /// What Aspire gives a project and an executable lacks: Kestrel's URLs from the endpoints (each on its target
    /// host), OTLP to the dashboard, plain console logs. Left out of the manifest: the workers drive a local stack.
    /// </summary>
    public static IResourceBuilder<T> AsWorker<T>(this IResourceBuilder<T> worker, string entryAssembly)
        where T : ExecutableResource
    {
        worker.WithArgs("exec", entryAssembly)
            .WithOtlpExporter()
            .ExcludeFromManifest()
            .WithEnvironment("LOGGING__CONSOLE__FORMATTERNAME", "simple")
            .WithEnvironment(context =>
            {
                var urls = new ReferenceExpressionBuilder();
                foreach (var endpoint in worker.Resource.Annotations.OfType<EndpointAnnotation>())
                {
                    if (!urls.IsEmpty)
                    {
                        urls.AppendLiteral(";");
                    }

                    var reference = worker.GetEndpoint(endpoint.Name);
                    urls.Append($"http://{endpoint.TargetHost}:{reference.Property(EndpointProperty.TargetPort)}");
                }

                context.EnvironmentVariables["ASPNETCORE_URLS"] = urls.Build();
            });
        return worker;
    }
}
