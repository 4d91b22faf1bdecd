using System.Net.Http.Headers;
using System.Text;

namespace Csbuild.Oci.Registry.Auth;

/// <summary>One <c>WWW-Authenticate</c> challenge: a scheme and its parameters (realm, service, scope…).</summary>
internal sealed class AuthChallenge
{
    public AuthChallenge(string scheme, IReadOnlyDictionary<string, string> parameters)
    {
        Scheme = scheme;
        Parameters = parameters;
    }

    public string Scheme { get; }
    public IReadOnlyDictionary<string, string> Parameters { get; }

    public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);
    public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);

    public string? Realm => Parameters.GetValueOrDefault("realm");
    public string? Service => Parameters.GetValueOrDefault("service");

    /// <summary>Scopes the registry asked for (space-separated in the header).</summary>
    public IReadOnlyList<string> Scopes =>
        Parameters.TryGetValue("scope", out var scope) ? scope.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];

    /// <summary>The challenge to act on: Bearer is preferred over Basic, as Docker does; other schemes are ignored.</summary>
    public static AuthChallenge? Select(HttpResponseHeaders headers)
    {
        // Raw values: each registry sends one challenge per header line, and the parameters are parsed here.
        if (!headers.NonValidated.TryGetValues("WWW-Authenticate", out var values)) return null;
        AuthChallenge? basic = null;
        foreach (var raw in values)
        {
            var text = raw.Trim();
            int space = text.IndexOf(' ');
            var scheme = space < 0 ? text : text[..space];
            var challenge = new AuthChallenge(scheme, ParseParameters(space < 0 ? null : text[(space + 1)..]));
            if (challenge.IsBearer) return challenge;
            if (challenge.IsBasic) basic ??= challenge;
        }
        return basic;
    }

    /// <summary>Parses <c>key=value, key="quoted \"value\""</c> lists (RFC 7235 auth-params).</summary>
    internal static Dictionary<string, string> ParseParameters(string? text)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrEmpty(text)) return result;
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ',' || char.IsWhiteSpace(text[i]))) i++;
            int keyStart = i;
            while (i < text.Length && text[i] != '=' && text[i] != ',') i++;
            var key = text[keyStart..i].Trim();
            if (i >= text.Length || text[i] == ',') continue; // a bare token (e.g. token68) carries no parameter
            i++; // '='
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            string value;
            if (i < text.Length && text[i] == '"')
            {
                var builder = new StringBuilder();
                i++;
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < text.Length) i++;
                    builder.Append(text[i++]);
                }
                i++; // closing quote
                value = builder.ToString();
            }
            else
            {
                int valueStart = i;
                while (i < text.Length && text[i] != ',') i++;
                value = text[valueStart..i].Trim();
            }
            if (key.Length > 0) result[key] = value;
        }
        return result;
    }
}
