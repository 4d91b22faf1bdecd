namespace Csbuild.Solver.Graph;

/// <summary>
/// A chmod(1)-style symbolic mode (<c>u+x,g-w</c>, <c>a=rX</c>, <c>go-rwx,+t</c>) as <c>COPY --chmod</c> accepts it.
/// Each clause is applied to a file's current permissions in turn. Without a "who" a clause applies to all
/// classes (no umask: a build has none). <c>X</c> grants execute only to directories and to files that already
/// have an execute bit, as chmod does. Copying one class's bits (<c>g=u</c>) is not supported.
/// </summary>
public sealed class SymbolicMode
{
    private const uint UserBits = 0b111_000_000 | 0x800; // rwx for the owner + setuid
    private const uint GroupBits = 0b000_111_000 | 0x400; // rwx for the group + setgid
    private const uint OtherBits = 0b000_000_111;

    private readonly IReadOnlyList<Clause> _clauses;

    private SymbolicMode(string text, IReadOnlyList<Clause> clauses)
    {
        Text = text;
        _clauses = clauses;
    }

    /// <summary>The mode as written, e.g. <c>u+x,g-w</c>.</summary>
    public string Text { get; }

    public override string ToString() => Text;

    public override bool Equals(object? obj) => obj is SymbolicMode other && other.Text == Text;

    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);

    /// <summary>Parses a symbolic mode; null with a reason when <paramref name="text"/> is not one.</summary>
    public static SymbolicMode? TryParse(string text, out string? error)
    {
        error = null;
        var clauses = new List<Clause>();
        foreach (var part in text.Split(','))
        {
            int i = 0;
            uint who = 0;
            for (; i < part.Length && part[i] is 'u' or 'g' or 'o' or 'a'; i++)
                who |= part[i] switch { 'u' => UserBits, 'g' => GroupBits, 'o' => OtherBits, _ => UserBits | GroupBits | OtherBits };
            if (who == 0) who = UserBits | GroupBits | OtherBits;
            if (i == part.Length)
            {
                error = $"'{part}' has no operator (+, - or =)";
                return null;
            }
            while (i < part.Length)
            {
                var op = part[i++];
                if (op is not ('+' or '-' or '='))
                {
                    error = $"unexpected '{op}' in '{part}', expected +, - or =";
                    return null;
                }
                uint bits = 0;
                bool conditionalExecute = false;
                for (; i < part.Length && part[i] is not ('+' or '-' or '='); i++)
                {
                    switch (part[i])
                    {
                        case 'r': bits |= 0b100_100_100; break;
                        case 'w': bits |= 0b010_010_010; break;
                        case 'x': bits |= 0b001_001_001; break;
                        case 'X': conditionalExecute = true; break;
                        case 's': bits |= 0x800 | 0x400; break;
                        case 't': bits |= 0x200; break;
                        default:
                            error = $"'{part[i]}' in '{part}' is not a permission (r, w, x, X, s or t)";
                            return null;
                    }
                }
                clauses.Add(new Clause(who, op, bits, conditionalExecute));
            }
        }
        return new SymbolicMode(text, clauses);
    }

    /// <summary>The permissions (12 low bits) after applying every clause to <paramref name="permissions"/>.</summary>
    public uint Apply(uint permissions, bool isDirectory)
    {
        var mode = permissions & 0xFFF;
        foreach (var clause in _clauses)
        {
            // The sticky bit belongs to no class; it is changed whenever 't' is named.
            var mask = clause.Who | (clause.Bits & 0x200);
            var bits = clause.Bits;
            if (clause.ConditionalExecute && (isDirectory || (mode & 0b001_001_001) != 0)) bits |= 0b001_001_001;
            bits &= mask;
            mode = clause.Op switch
            {
                '+' => mode | bits,
                '-' => mode & ~bits,
                _ => (mode & ~(clause.Who & ~0x200u)) | bits,
            };
        }
        return mode;
    }

    private sealed record Clause(uint Who, char Op, uint Bits, bool ConditionalExecute);
}
