using System.Text.Json;
using System.Text.Json.Serialization;

namespace Csbuild.Executor.Spec;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RuntimeSpec))]
internal sealed partial class RuntimeSpecJsonContext : JsonSerializerContext;

/// <summary>Reads and writes config.json with source-generated (reflection-free) serialization.</summary>
public static class RuntimeSpecJson
{
    public static byte[] Serialize(RuntimeSpec spec) =>
        JsonSerializer.SerializeToUtf8Bytes(spec, RuntimeSpecJsonContext.Default.RuntimeSpec);

    public static RuntimeSpec Deserialize(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize(json, RuntimeSpecJsonContext.Default.RuntimeSpec)
        ?? throw new InvalidDataException("config.json is null");
}
