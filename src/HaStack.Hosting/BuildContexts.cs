using System.Reflection;
using System.Security.Cryptography;

namespace HaStack.Hosting;

/// <summary>
/// The images' build contexts and the files that go into containers, embedded in this assembly (see the project
/// file). A build context must be a folder on disk for the engine: <see cref="PathOf"/> writes the component's files
/// once per content hash into the temporary folder and returns that folder, so an AppHost that references the package
/// needs nothing from HaStack's source tree. When publishing, they are written beside the manifest instead
/// (<c>hastack-build-contexts/</c>), so the manifest names folders that travel with it, not this machine's.
/// </summary>
internal static class BuildContexts
{
    private const string Prefix = "hastack/";
    private static readonly Assembly s_assembly = typeof(BuildContexts).Assembly;
    private static readonly Lazy<string> s_root = new(Extract);

    /// <summary>The folder holding <paramref name="component"/>'s build context, e.g. <c>patroni</c>.</summary>
    public static string PathOf(IDistributedApplicationBuilder builder, string component)
    {
        var root = s_root.Value;
        if (builder.ExecutionContext.IsPublishMode && (builder.Configuration["Pipeline:OutputPath"] ?? builder.Configuration["Publishing:OutputPath"]) is { Length: > 0 } output)
        {
            var directory = Path.GetExtension(output).Equals(".json", StringComparison.OrdinalIgnoreCase) ? Path.GetDirectoryName(Path.GetFullPath(output))! : Path.GetFullPath(output);
            root = Path.Combine(directory, "hastack-build-contexts");
            CopyDirectory(Path.Combine(s_root.Value, component), Path.Combine(root, component));
        }

        var path = Path.Combine(root, component);
        return Directory.Exists(path) ? path : throw new InvalidOperationException($"HaStack.Hosting has no build context '{component}'.");
    }

    /// <summary>
    /// The image of a component that is not a Patroni node: built from the package's <paramref name="component"/>
    /// context on the shared Debian release (<c>HaStack:BaseImage</c>), tagged <paramref name="image"/>:<paramref name="tag"/>.
    /// </summary>
    public static IResourceBuilder<T> WithHaStackImage<T>(this IResourceBuilder<T> resource, string component, string image, string tag)
        where T : ContainerResource =>
        resource.WithImage(image, tag)
            .WithDockerfile(PathOf(resource.ApplicationBuilder, component))
            .WithBuildArg("BASE_IMAGE", EtcdBuilderExtensions.SharedBaseImage(resource.ApplicationBuilder));

    /// <summary>The embedded files of <paramref name="component"/> under <paramref name="folder"/>, relative name → text.</summary>
    public static IReadOnlyList<(string Name, string Text)> Files(string component, string folder)
    {
        var prefix = $"{Prefix}{component}/{folder}/";
        return [.. Names().Where(n => Normalize(n).StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            .Select(n => (Normalize(n)[prefix.Length..], Read(n)))];
    }

    private static void CopyDirectory(string source, string target)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination, overwrite: true);
        }
    }

    private static IEnumerable<string> Names() => s_assembly.GetManifestResourceNames().Where(n => Normalize(n).StartsWith(Prefix, StringComparison.Ordinal));

    // MSBuild's %(RecursiveDir) carries the build machine's separator.
    private static string Normalize(string name) => name.Replace('\\', '/');

    private static string Read(string name)
    {
        using var stream = s_assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static string Extract()
    {
        var names = Names().Order(StringComparer.Ordinal).ToArray();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var name in names)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Normalize(name)));
            using var stream = s_assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            hash.AppendData(buffer.ToArray());
        }

        var root = Path.Combine(Path.GetTempPath(), "hastack-build-contexts", Convert.ToHexString(hash.GetHashAndReset())[..16].ToLowerInvariant());
        if (Directory.Exists(root))
        {
            return root;
        }

        // Written beside, then renamed: two AppHosts starting at once never see half a context.
        var staging = root + "." + Guid.NewGuid().ToString("N")[..8];
        foreach (var name in names)
        {
            var path = Path.Combine(staging, Normalize(name)[Prefix.Length..]);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using (var source = s_assembly.GetManifestResourceStream(name)!)
            using (var target = File.Create(path))
            {
                source.CopyTo(target);
            }

            if (!OperatingSystem.IsWindows() && path.EndsWith(".sh", StringComparison.Ordinal))
            {
                File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
            }
        }

        try
        {
            Directory.Move(staging, root);
        }
        catch (IOException) when (Directory.Exists(root))
        {
            Directory.Delete(staging, recursive: true);
        }

        return root;
    }
}
