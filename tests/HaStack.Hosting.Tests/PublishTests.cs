using Aspire.Hosting.ApplicationModel;

namespace HaStack.Hosting.Tests;

/// <summary>What a published manifest gets: nothing that only exists on the publishing machine.</summary>
public class PublishTests
{
    [Fact]
    public void PublishedConnectionStringsVerifyTheServerButNameNoRootCertificateFile()
    {
        var output = Path.Combine(Path.GetTempPath(), "hastack-publish-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (builder, cluster) = Model.Stack("--publisher", "manifest", "--output-path", Path.Combine(output, "aspire-manifest.json"));

            foreach (var name in new[] { "pg", "app", "app-ro", "pg-1" })
            {
                Assert.EndsWith(";SSL Mode=VerifyFull", builder.ConnectionString(name));
            }

            // The build contexts are written beside the manifest, which names them relative to itself.
            var context = cluster.Resource.Nodes[0].Resource.Annotations.OfType<DockerfileBuildAnnotation>().Single().ContextPath;
            Assert.Equal(Path.Combine(output, "hastack-build-contexts", "patroni"), context);
            Assert.True(File.Exists(Path.Combine(context, "Dockerfile")));
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }
}
