using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace HaStack.Hosting.Tests;

/// <summary>Reads what the model says about a resource, as the orchestrator or the publisher would.</summary>
internal static class Model
{
    /// <summary>
    /// A builder whose AppHost assembly is this test assembly: it names the worker apps built in this repository, as
    /// a consumer's AppHost names the packaged ones (<c>Workers/InRepository.targets</c>).
    /// </summary>
    public static IDistributedApplicationBuilder Builder(params string[] args) =>
        DistributedApplication.CreateBuilder(new DistributedApplicationOptions { Args = args, DisableDashboard = true, AssemblyName = typeof(Model).Assembly.GetName().Name });

    /// <summary>A typical stack: etcd, a two-node cluster, HAProxy, PgBouncer with both databases.</summary>
    public static (IDistributedApplicationBuilder Builder, IResourceBuilder<PatroniClusterResource> Cluster) Stack(params string[] args)
    {
        var builder = Builder(args);
        var cluster = builder.AddPatroniCluster("pg", builder.AddEtcdCluster("etcd"));
        var pooler = cluster.AddPgBouncer("pgbouncer", cluster.AddHAProxy("router"));
        pooler.AddDatabase("app");
        pooler.AddReadOnlyDatabase("app-ro");
        return (builder, cluster);
    }

    /// <summary>A name as a user would type it at run time (the analyzer checks only constants).</summary>
    public static string Typed(string name) => name;

    public static IResource Get(this IDistributedApplicationBuilder builder, string name) => builder.Resources.Single(r => r.Name == name);

    public static async Task<Dictionary<string, string>> EnvironmentAsync(this IDistributedApplicationBuilder builder, string name)
    {
#pragma warning disable CS0618 // The replacement builder API is heavier than this one-line read of a model.
        return await ((IResourceWithEnvironment)builder.Get(name)).GetEnvironmentVariableValuesAsync(DistributedApplicationOperation.Publish);
#pragma warning restore CS0618
    }

    public static string ConnectionString(this IDistributedApplicationBuilder builder, string name) =>
        ((IResourceWithConnectionString)builder.Get(name)).ConnectionStringExpression.ValueExpression;

    public static string[] WaitsFor(this IDistributedApplicationBuilder builder, string name) =>
        [.. builder.Get(name).Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name).Order()];

    public static string? Parent(this IDistributedApplicationBuilder builder, string name) =>
        builder.Get(name).Annotations.OfType<ResourceRelationshipAnnotation>().FirstOrDefault(r => r.Type == "Parent")?.Resource.Name;
}
