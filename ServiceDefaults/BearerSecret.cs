using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace HaStack.ServiceDefaults;

/// <summary>
/// The one check of a shared secret sent as <c>Authorization: Bearer &lt;secret&gt;</c>, for the services' guarded
/// endpoints (the FailoverDrill's control secret, the HealthProbe's alert webhook).
/// </summary>
public static class BearerSecret
{
    /// <summary>True when <paramref name="request"/> carries <paramref name="secret"/> as its bearer token (a constant-time comparison).</summary>
    public static bool IsPresentedBy(HttpRequest request, string secret)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(secret);
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        var given = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : "";
        return given.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(secret));
    }

    /// <summary>401 with <c>WWW-Authenticate: Bearer</c> and <c>{"error": <paramref name="error"/>}</c>.</summary>
    public static IResult Refuse(HttpContext http, string error)
    {
        ArgumentNullException.ThrowIfNull(http);
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Json(new { error }, statusCode: StatusCodes.Status401Unauthorized);
    }
}
