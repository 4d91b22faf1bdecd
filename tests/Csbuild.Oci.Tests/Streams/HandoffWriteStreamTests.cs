using Csbuild.Oci.Layers.Streams;

namespace Csbuild.Oci.Tests.Streams;

public class HandoffWriteStreamTests
{
    [Fact]
    public void EveryByteArrives_InOrder_ByTheTimeCompleteReturns()
    {
        var data = new byte[5 * HandoffWriteStream.BufferSize + 12_345];
        new Random(4).NextBytes(data);
        var inner = new MemoryStream();
        using (var handoff = new HandoffWriteStream(inner))
        {
            for (int offset = 0; offset < data.Length; offset += 70_001)
                handoff.Write(data, offset, Math.Min(70_001, data.Length - offset));
            handoff.Complete();
            Assert.Equal(data, inner.ToArray());
        }
    }

    [Fact]
    public void AFailingInnerStream_IsReportedToTheWriter()
    {
        var handoff = new HandoffWriteStream(new FailingStream());
        var chunk = new byte[HandoffWriteStream.BufferSize];
        var error = Assert.ThrowsAny<IOException>(() =>
        {
            for (int i = 0; i < 2 * HandoffWriteStream.Buffers; i++) handoff.Write(chunk);
            handoff.Complete();
        });
        Assert.Contains("disk full", error.Message);
        handoff.Dispose();
    }

    private sealed class FailingStream : Csbuild.Oci.Compression.WriteOnlyStreamBase
    {
        public override void Write(ReadOnlySpan<byte> buffer) => throw new IOException("disk full");
        public override void Flush() { }
    }
}
