using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Csbuild.Oci.Compression;

/// <summary>Bindings to the streaming API of the system libzstd (the reference, multithreaded implementation).</summary>
internal static unsafe partial class ZstdNative
{
    private const string Library = "libzstd.so.1";

    // ZSTD_cParameter / ZSTD_dParameter / ZSTD_EndDirective values from zstd.h (stable API since 1.4.0).
    public const int CompressionLevelParameter = 100;
    public const int ChecksumFlagParameter = 201;
    public const int WorkerCountParameter = 400;
    public const int WindowLogMaxParameter = 100;
    public const int EndContinue = 0;
    public const int EndFlush = 1;
    public const int EndFrame = 2;

    [StructLayout(LayoutKind.Sequential)]
    public struct InBuffer
    {
        public byte* Source;
        public nuint Size;
        public nuint Position;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct OutBuffer
    {
        public byte* Destination;
        public nuint Size;
        public nuint Position;
    }

    [LibraryImport(Library)] public static partial uint ZSTD_versionNumber();
    [LibraryImport(Library)] public static partial int ZSTD_minCLevel();
    [LibraryImport(Library)] public static partial int ZSTD_maxCLevel();
    [LibraryImport(Library)] public static partial uint ZSTD_isError(nuint code);
    [LibraryImport(Library)] public static partial nint ZSTD_getErrorName(nuint code);

    [LibraryImport(Library)] public static partial CompressionHandle ZSTD_createCStream();
    [LibraryImport(Library)] public static partial nuint ZSTD_freeCStream(nint stream);
    [LibraryImport(Library)] public static partial nuint ZSTD_CStreamOutSize();
    [LibraryImport(Library)] public static partial nuint ZSTD_CCtx_setParameter(CompressionHandle context, int parameter, int value);
    [LibraryImport(Library)] public static partial nuint ZSTD_compressStream2(CompressionHandle context, OutBuffer* output, InBuffer* input, int endOp);

    [LibraryImport(Library)] public static partial DecompressionHandle ZSTD_createDStream();
    [LibraryImport(Library)] public static partial nuint ZSTD_freeDStream(nint stream);
    [LibraryImport(Library)] public static partial nuint ZSTD_initDStream(DecompressionHandle stream);
    [LibraryImport(Library)] public static partial nuint ZSTD_DStreamInSize();
    [LibraryImport(Library)] public static partial nuint ZSTD_DCtx_setParameter(DecompressionHandle context, int parameter, int value);
    [LibraryImport(Library)] public static partial nuint ZSTD_decompressStream(DecompressionHandle stream, OutBuffer* output, InBuffer* input);

    /// <summary>Returns the code unchanged, or throws with libzstd's error name when it encodes an error.</summary>
    public static nuint Check(nuint code, string operation)
    {
        if (ZSTD_isError(code) == 0) return code;
        string name = Marshal.PtrToStringUTF8(ZSTD_getErrorName(code)) ?? "unknown error";
        throw new InvalidDataException($"zstd {operation} failed: {name}");
    }

    public sealed class CompressionHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
    {
        protected override bool ReleaseHandle()
        {
            ZSTD_freeCStream(handle);
            return true;
        }
    }

    public sealed class DecompressionHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
    {
        protected override bool ReleaseHandle()
        {
            ZSTD_freeDStream(handle);
            return true;
        }
    }
}
