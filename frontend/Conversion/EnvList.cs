namespace Csbuild.Frontend.Conversion;

/// <summary>
/// An ordered environment (<c>KEY=value</c> list) with replace-in-place updates, as LLB state env is. Indexed by
/// key, so a Dockerfile with many variables stays linear.
/// </summary>
internal sealed class EnvList
{
    private readonly List<KeyValuePair<string, string>> _items = [];
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    public EnvList() { }

    public EnvList(IEnumerable<string>? entries)
    {
        foreach (var e in entries ?? [])
        {
            var eq = e.IndexOf('=');
            Set(eq < 0 ? e : e[..eq], eq < 0 ? "" : e[(eq + 1)..]);
        }
    }

    public int Count => _items.Count;

    public IEnumerable<string> Keys => _items.Select(kv => kv.Key);

    public EnvList Clone()
    {
        var copy = new EnvList();
        copy._items.AddRange(_items);
        foreach (var (k, v) in _index) copy._index[k] = v;
        return copy;
    }

    public string? Get(string key) => _index.TryGetValue(key, out var i) ? _items[i].Value : null;

    public void Set(string key, string value)
    {
        if (_index.TryGetValue(key, out var i))
        {
            _items[i] = new(key, value);
            return;
        }
        _index[key] = _items.Count;
        _items.Add(new(key, value));
    }

    public bool Contains(string key) => _index.ContainsKey(key);

    public int IndexOf(string key) => _index.TryGetValue(key, out var i) ? i : -1;

    public List<string> ToList() => _items.Select(kv => kv.Key + "=" + kv.Value).ToList();
}
