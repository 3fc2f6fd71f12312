using System.Text.RegularExpressions;

namespace HaStack.Hosting;

/// <summary>The one rule for HaStack's resource names and scopes: they become container, volume and host names.</summary>
internal static partial class Names
{
    [GeneratedRegex("^[a-z][a-z0-9-]{0,39}$")]
    private static partial Regex Allowed();

    /// <summary>Refuses a name that is not lowercase letters, digits and '-', starting with a letter, at most 40 long.</summary>
    public static void ThrowIfInvalid(string? value, string argument)
    {
        ArgumentException.ThrowIfNullOrEmpty(value, argument);
        if (!Allowed().IsMatch(value))
        {
            throw new ArgumentException($"'{value}' is not allowed: use lowercase letters, digits and '-', starting with a letter, at most 40 characters.", argument);
        }
    }

    public static bool IsValid(string value) => Allowed().IsMatch(value);
}
