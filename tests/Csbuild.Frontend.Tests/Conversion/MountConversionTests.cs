using Csbuild.Frontend.Conversion;
using Csbuild.Solver.Graph;

namespace Csbuild.Frontend.Tests.Conversion;

public class MountConversionTests
{
    private static (ExecOp Op, Vertex Vertex) Run(string dockerfile, string? target = null)
    {
        var graph = Conv.Graph(dockerfile, target: target);
        return (Assert.IsType<ExecOp>(graph.Output.Op), graph.Output);
    }

    private static ExecMount Single(string mountFlag, string workdir = "/") =>
        Assert.Single(Run($"FROM alpine\nWORKDIR {workdir}\nRUN --mount={mountFlag} x\n").Op.Mounts);

    [Fact]
    public void Cache_mount_defaults_id_to_the_target_and_is_shared_and_writable()
    {
        var m = Single("type=cache,target=/root/.cache");
        Assert.Equal(ExecMountType.Cache, m.Type);
        Assert.Equal("/root/.cache", m.Target);
        Assert.Equal("/root/.cache", m.Id);
        Assert.Equal(CacheSharing.Shared, m.Sharing);
        Assert.False(m.ReadOnly);
        Assert.Equal(0b111_101_101, m.Mode);
        Assert.Null(m.SourceInput);
    }

    [Fact]
    public void Cache_mount_options_are_read()
    {
        var m = Single("type=cache,id=go-build,target=/c,sharing=locked,mode=0700,uid=1000,gid=100,ro");
        Assert.Equal(("go-build", CacheSharing.Locked, 0b111_000_000, 1000u, 100u, true), (m.Id, m.Sharing, m.Mode, m.Uid, m.Gid, m.ReadOnly));
        Assert.Equal(CacheSharing.Private, Single("type=cache,target=/c,sharing=private").Sharing);
    }

    [Fact]
    public void Bind_mount_defaults_to_the_context_read_only()
    {
        var (op, vertex) = Run("FROM alpine\nRUN --mount=target=/src x\n");
        var m = Assert.Single(op.Mounts);
        Assert.Equal(ExecMountType.Bind, m.Type);
        Assert.True(m.ReadOnly);
        Assert.Equal("/", m.Source);
        Assert.IsType<LocalOp>(vertex.Inputs[m.SourceInput!.Value].Op);
        Assert.Equal(2, vertex.Inputs.Count);

        var rw = Single("type=bind,source=sub/../dir,target=/src,rw");
        Assert.False(rw.ReadOnly);
        Assert.Equal("/dir", rw.Source);
    }

    [Fact]
    public void Bind_from_a_stage_makes_that_stage_an_input_and_a_dependency()
    {
        const string dockerfile = "FROM alpine AS tools\nRUN make-tools\nFROM busybox\nRUN --mount=type=bind,from=tools,source=/usr/bin,target=/tools /tools/x\n";
        var (op, vertex) = Run(dockerfile);
        var m = Assert.Single(op.Mounts);
        var source = vertex.Inputs[m.SourceInput!.Value];
        var stageRun = Assert.IsType<ExecOp>(source.Op);
        Assert.Equal(["/bin/sh", "-c", "make-tools"], stageRun.Args);
        Assert.Equal("/usr/bin", m.Source);
        // By index too, and the same source twice is one input.
        var (op2, vertex2) = Run("FROM alpine\nRUN a\nFROM busybox\nRUN --mount=from=0,target=/a --mount=from=0,target=/b,source=/etc x\n");
        Assert.Equal(2, vertex2.Inputs.Count);
        Assert.Equal(op2.Mounts[0].SourceInput, op2.Mounts[1].SourceInput);
    }

    [Fact]
    public void Bind_from_an_image_loads_the_image()
    {
        var (op, vertex) = Run("FROM alpine\nRUN --mount=from=busybox,target=/bb x\n");
        var image = Assert.IsType<ImageOp>(vertex.Inputs[op.Mounts[0].SourceInput!.Value].Op);
        Assert.Equal("busybox", image.Reference);
    }

    [Fact]
    public void Secret_mount_defaults()
    {
        var m = Single("type=secret,id=npmrc");
        Assert.Equal(("/run/secrets/npmrc", "npmrc", 0b100_000_000, false), (m.Target, m.Id, m.Mode, m.Required));

        var fromTarget = Single("type=secret,target=/root/.aws/credentials,required");
        Assert.Equal(("credentials", true), (fromTarget.Id, fromTarget.Required));

        var env = Single("type=secret,id=token,env=TOKEN,required=false");
        Assert.Equal(("", "TOKEN", false), (env.Target, env.Env, env.Required));
        Assert.Equal("/run/secrets/token", Single("type=secret,source=token").Target);
    }

    [Fact]
    public void Secret_values_never_enter_the_op_only_the_id()
    {
        var (op, _) = Run("FROM alpine\nRUN --mount=type=secret,id=api,env=API_KEY x\n");
        var definition = op.CanonicalDefinition();
        Assert.Contains("api", definition);
        Assert.Contains("API_KEY", definition);
        Assert.DoesNotContain(op.Env, e => e.StartsWith("API_KEY", StringComparison.Ordinal));
    }

    [Fact]
    public void Ssh_mounts_number_their_default_targets()
    {
        var (op, _) = Run("FROM alpine\nRUN --mount=type=ssh --mount=type=ssh,id=github,mode=0666 x\n");
        Assert.Equal(("/run/buildkit/ssh_agent.1", "default", 0b110_000_000), (op.Mounts[0].Target, op.Mounts[0].Id, op.Mounts[0].Mode));
        Assert.Equal(("/run/buildkit/ssh_agent.2", "github", 0b110_110_110), (op.Mounts[1].Target, op.Mounts[1].Id, op.Mounts[1].Mode));
    }

    [Fact]
    public void Tmpfs_size_accepts_docker_units()
    {
        Assert.Equal(64L << 20, Single("type=tmpfs,target=/t,size=64m").SizeBytes);
        Assert.Equal(1L << 30, Single("type=tmpfs,target=/t,size=1GiB").SizeBytes);
        Assert.Equal(512, Single("type=tmpfs,target=/t,size=512").SizeBytes);
        Assert.Null(Single("type=tmpfs,target=/t").SizeBytes);
    }

    [Theory]
    [InlineData("cache", "/work", "/work/cache")]
    [InlineData("../../../etc", "/work", "/etc")]
    [InlineData("/a/./b/../c", "/", "/a/c")]
    public void Targets_are_absolute_and_contained(string target, string workdir, string expected) =>
        Assert.Equal(expected, Single($"type=cache,target={target}", workdir).Target);

    [Fact]
    public void Values_are_expanded_with_the_stage_environment()
    {
        var (op, _) = Run("FROM alpine\nARG CACHE_DIR=/var/cache/x\nENV ID=deps\nRUN --mount=type=cache,id=$ID,target=${CACHE_DIR} x\n");
        Assert.Equal(("/var/cache/x", "deps"), (op.Mounts[0].Target, op.Mounts[0].Id));
    }

    [Theory]
    [InlineData("type=cache", "mount target must be specified")]
    [InlineData("type=bind,target=/", "invalid mount target")]
    [InlineData("type=cache,target=../..", "invalid mount target")]
    [InlineData("type=tmpfs,target=/t,mode=0700", "not allowed for tmpfs mounts")]
    [InlineData("type=bind,target=/t,uid=1", "not allowed for bind mounts")]
    [InlineData("type=cache,target=/t,sharing=sometimes", "unsupported sharing value")]
    [InlineData("type=bind,target=/t,sharing=locked", "invalid cache sharing set for bind mount")]
    [InlineData("type=cache,target=/t,size=1m", "unexpected key 'size' for mount type 'cache'")]
    [InlineData("type=bind,target=/t,required", "unexpected key 'required' for mount type 'bind'")]
    [InlineData("type=cache,target=/t,colour=blue", "unexpected key 'colour'")]
    [InlineData("type=cache,target", "invalid field 'target' must be a key=value pair")]
    [InlineData("type=cache,target=/t,mode=999", "invalid value for mode")]
    [InlineData("type=secret", "one of source, target required")]
    [InlineData("type=secret,id=a,source=b", "both source and id can't be set")]
    [InlineData("type=secret,id=a,from=busybox", "secret mount should not have a from")]
    [InlineData("type=cache,target=/t,ro=maybe", "invalid value for ro")]
    [InlineData("type=tmpfs,target=/t,size=lots", "invalid size")]
    public void Invalid_mounts_are_clear_errors(string flag, string message)
    {
        var e = Conv.Error($"FROM alpine\nRUN --mount={flag} x\n");
        Assert.Contains(message, e.Message);
        Assert.StartsWith("Dockerfile:2", e.Message);
    }

    [Fact]
    public void Two_mounts_on_one_target_are_refused() =>
        Assert.Contains("more than one --mount", Conv.Error("FROM alpine\nRUN --mount=type=tmpfs,target=/t --mount=type=cache,target=/t x\n").Message);

    [Fact]
    public void A_stage_cannot_mount_itself() =>
        Assert.Contains("circular dependency", Conv.Error("FROM alpine AS a\nRUN --mount=from=a,target=/x x\n").Message);

    [Fact]
    public void Mount_sources_enter_the_key_by_input_but_mounts_change_the_definition()
    {
        var plain = Run("FROM alpine\nRUN x\n").Op.CanonicalDefinition();
        var cache = Run("FROM alpine\nRUN --mount=type=cache,target=/c x\n").Op.CanonicalDefinition();
        var otherId = Run("FROM alpine\nRUN --mount=type=cache,target=/c,id=other x\n").Op.CanonicalDefinition();
        Assert.Equal(3, new[] { plain, cache, otherId }.Distinct().Count());
        Assert.DoesNotContain("mounts", plain); // keys of steps without mounts are unchanged
    }

    [Fact]
    public void Csv_fields_may_be_quoted()
    {
        Assert.Equal(["type=bind", "target=/a,b", "ro"], MountConversion.SplitCsv("type=bind,\"target=/a,b\",ro"));
        Assert.Equal(["say=\"hi\""], MountConversion.SplitCsv("\"say=\"\"hi\"\"\""));
        Assert.Throws<FormatException>(() => MountConversion.SplitCsv("\"open"));
    }
}
