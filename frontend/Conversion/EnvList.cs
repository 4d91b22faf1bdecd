namespace Csbuild.Frontend.Conversion;

/// <summary>An ordered environment (<c>KEY=value</c> list) with replace-in-place updates, as LLB state env is.</summary>
internal sealed class EnvList
{
    private readonly List<KeyValuePair<string, string>> _items = [];

    public EnvList() { }

    public EnvList(IEnumerable<string>? entries)
    {
        foreach (var e in entries ?? [])
        {
            var eq = e.IndexOf('=');
            Set(eq < 0 ? e : e[..eq], eq < 0 ? "" : e[(eq + 1)..]);
        }
    }

    public EnvList Clone()
    {
        var copy = new EnvList();
        copy._items.AddRange(_items);
        return copy;
    }

    public string? Get(string key)
    {
        for (var i = _items.Count - 1; i >= 0; i--)
            if (_items[i].Key == key) return _items[i].Value;
        return null;
    }

    public void Set(string key, string value)
    {
        for (var i = 0; i < _items.Count; i++)
        {
            if (_items[i].Key != key) continue;
            _items[i] = new(key, value);
            return;
        }
        _items.Add(new(key, value));
    }

    public bool Contains(string key) => Get(key) is not null;

    public List<string> ToList() => _items.Select(kv => kv.Key + "=" + kv.Value).ToList();

    /// <summary>Sets a key in a Docker config env list (<c>KEY=value</c> strings), replacing in place.</summary>
    public static List<string> SetIn(List<string>? env, string key, string value)
    {
        env ??= [];
        for (var i = 0; i < env.Count; i++)
        {
            var eq = env[i].IndexOf('=');
            if ((eq < 0 ? env[i] : env[i][..eq]) != key) continue;
            env[i] = key + "=" + value;
            return env;
        }
        env.Add(key + "=" + value);
        return env;
    }
}
