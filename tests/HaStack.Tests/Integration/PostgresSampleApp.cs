namespace HaStack.Tests.Integration;

/// <summary>
/// The same sample on the baseline people have today (<c>Sample:Database=postgres</c>): Aspire's own single-node
/// <c>AddPostgres</c>, its image built from Debian's PostgreSQL with the official image's environment, in the container
/// <see cref="Container"/>, its password <see cref="Password"/> given as the parameter <c>db-password</c>.
/// </summary>
public sealed class PostgresSampleApp : SampleApp
{
    public const string Container = "orders-postgres";

    public string Password { get; } = Guid.NewGuid().ToString("N");

    /// <summary>The single node's <c>app</c> database from the host (the sample pins its port to 5291).</summary>
    public string ConnectionString => $"Host=localhost;Port=5291;Username=postgres;Password={Password};Database=app";

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
        [new("Sample__Database", "postgres"), new("Parameters__db-password", Password)];
}
