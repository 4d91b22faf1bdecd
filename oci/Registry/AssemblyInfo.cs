using System.Runtime.CompilerServices;

// The registry tests exercise internal helpers (challenge parsing, Range handling) directly.
[assembly: InternalsVisibleTo("Csbuild.Oci.Registry.Tests")]
