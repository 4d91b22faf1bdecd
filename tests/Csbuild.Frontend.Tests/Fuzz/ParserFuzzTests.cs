using System.Diagnostics;
using System.Text;

namespace Csbuild.Frontend.Tests.Fuzz;

/// <summary>
/// Random and mutated Dockerfiles through the whole frontend, with a fixed seed and a time budget: the only
/// acceptable failure is a Dockerfile error.
/// </summary>
public class ParserFuzzTests
{
    private static readonly string[] Corpus =
    [
        "# syntax=docker/dockerfile:1\nFROM alpine AS build\nARG V=1\nENV A=$V B=\"x y\"\nWORKDIR /src\nCOPY --chown=1:1 . .\nRUN make \\\n  && make install\nFROM scratch\nCOPY --from=build /out /\nCMD [\"/app\"]\n",
        "# escape=`\nFROM busybox\nRUN echo `\n  hello\nLABEL a=b `\n  c=d\nHEALTHCHECK --interval=5s CMD true\nEXPOSE 80/tcp 443\nVOLUME [\"/data\"]\nUSER 1000\nSTOPSIGNAL SIGTERM\n",
        "FROM onbuild-image\nRUN <<EOF\necho a\nEOF\nCOPY <<-A <<'B' /x/\n\tone\n\tA\ntwo $X\nB\nONBUILD RUN x\nSHELL [\"/bin/bash\", \"-c\"]\nENTRYPOINT top\n",
        "ARG BASE=alpine\nFROM ${BASE:-busybox} AS a\nARG TARGETARCH\nRUN echo ${TARGETARCH#a} ${V%%.*} ${V//x/y}\nFROM a\nADD file.txt /f\nMAINTAINER me\n",
    ];

    private static readonly string[] Tokens =
    [
        "FROM ", "from ", "RUN ", "CMD ", "LABEL ", "MAINTAINER ", "EXPOSE ", "ENV ", "ADD ", "COPY ", "ENTRYPOINT ", "VOLUME ",
        "USER ", "WORKDIR ", "ARG ", "ONBUILD ", "STOPSIGNAL ", "HEALTHCHECK ", "SHELL ", "AS ", "scratch", "alpine", "missing",
        "onb", "--from=", "--chown=", "--chmod=", "--link", "--platform=", "--mount=", "--network=", "--interval=", "--", "-",
        "\\", "`", "\n", "\r\n", " ", "\t", "\"", "'", "[", "]", "{", "}", "$", "${", ":-", ":+", ":?", "#", "##", "%", "%%", "/",
        "//", "=", ",", "<<", "<<-", "EOF", "0", "755", "a", "b", "*", "?", "# escape=`\n", "# syntax=x\n", "# check=skip=all\n",
        "NONE", "CMD", "\u00e9", "\uFEFF", "\0",
    ];

    [Fact]
    public async Task Random_and_mutated_dockerfiles_only_ever_fail_with_dockerfile_errors()
    {
        var random = new Random(20240611);
        var budget = Stopwatch.StartNew();
        var runs = 0;
        while (runs < 4000 && budget.Elapsed < TimeSpan.FromSeconds(15))
        {
            var input = (runs % 3) switch
            {
                0 => RandomBytes(random),
                1 => Encoding.UTF8.GetBytes(TokenSoup(random)),
                _ => Mutate(random, Encoding.UTF8.GetBytes(Corpus[random.Next(Corpus.Length)])),
            };
            try
            {
                await FrontendPipeline.RunAsync(input);
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                throw new Xunit.Sdk.XunitException($"run {runs}: {e.GetType().Name}: {e.Message}\ninput: {Convert.ToBase64String(input)}\n{e}");
            }
            runs++;
        }
        Assert.True(runs > 100, $"only {runs} runs in the time budget");
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 400)];
        random.NextBytes(bytes);
        // Mostly printable, with newlines, so the parser gets past the first line.
        for (var i = 0; i < bytes.Length; i++)
            if (random.Next(4) != 0) bytes[i] = (byte)(random.Next(10) == 0 ? '\n' : random.Next(32, 127));
        return bytes;
    }

    private static string TokenSoup(Random random)
    {
        var sb = new StringBuilder(random.Next(3) == 0 ? "" : "FROM alpine\n");
        var count = random.Next(1, 80);
        for (var i = 0; i < count; i++) sb.Append(Tokens[random.Next(Tokens.Length)]);
        return sb.ToString();
    }

    private static byte[] Mutate(Random random, byte[] seed)
    {
        var data = new List<byte>(seed);
        var mutations = random.Next(1, 8);
        for (var m = 0; m < mutations && data.Count > 0; m++)
        {
            var at = random.Next(data.Count);
            switch (random.Next(6))
            {
                case 0: data[at] = (byte)random.Next(256); break;
                case 1: data.RemoveRange(at, Math.Min(random.Next(1, 20), data.Count - at)); break;
                case 2: data.InsertRange(at, Encoding.UTF8.GetBytes(Tokens[random.Next(Tokens.Length)])); break;
                case 3:
                    var len = Math.Min(random.Next(1, 40), data.Count - at);
                    data.InsertRange(random.Next(data.Count), data.GetRange(at, len));
                    break;
                case 4: data.RemoveRange(at, data.Count - at); break;
                default: data.Insert(at, (byte)random.Next(0x80, 0x100)); break; // invalid UTF-8
            }
        }
        return [.. data];
    }

    public static TheoryData<string, string> Hostile() => new()
    {
        { "onbuild chain", "FROM a\n" + string.Concat(Enumerable.Repeat("ONBUILD ", 50_000)) + "RUN x\n" },
        { "deep json", "FROM a\nRUN " + new string('[', 200_000) + new string(']', 200_000) + "\n" },
        { "deep json strings", "FROM a\nCMD " + string.Concat(Enumerable.Repeat("[\"x\",", 100_000)) + "\n" },
        { "deep substitution", "FROM a\nENV A=" + string.Concat(Enumerable.Repeat("${a:-", 100_000)) + "x" + new string('}', 100_000) + "\n" },
        { "unclosed substitution", "FROM a\nENV A=" + string.Concat(Enumerable.Repeat("${a:-", 100_000)) + "\n" },
        { "many continuations", "FROM a\nRUN a \\\n" + string.Concat(Enumerable.Repeat("  b \\\n", 200_000)) + " c\n" },
        { "continuation into eof", "FROM a\nRUN " + string.Concat(Enumerable.Repeat("\\\n", 200_000)) },
        { "many comments in continuation", "FROM a\nRUN a \\\n" + string.Concat(Enumerable.Repeat("# c\n\n", 100_000)) + "b\n" },
        { "many heredocs", "FROM a\nRUN " + string.Concat(Enumerable.Repeat("<<E ", 20_000)) + "\n" + string.Concat(Enumerable.Repeat("x\nE\n", 20_000)) },
        { "unterminated heredoc", "FROM a\nCOPY <<EOF /x\n" + string.Concat(Enumerable.Repeat("line\n", 200_000)) },
        { "many stages", string.Concat(Enumerable.Range(0, 20_000).Select(i => i == 0 ? "FROM a AS s0\n" : $"FROM s{i - 1} AS s{i}\nCOPY --from=s0 /a /b\n")) },
        { "many env pairs", "FROM a\nENV " + string.Concat(Enumerable.Range(0, 100_000).Select(i => $"K{i}=$K{i / 2} ")) + "\nRUN x\n" },
        { "many args", "FROM a\n" + string.Concat(Enumerable.Range(0, 50_000).Select(i => $"ARG A{i}=$UNDEF\n")) + "RUN x\n" },
        { "many undefined variables", "FROM a\nCOPY " + string.Concat(Enumerable.Range(0, 100_000).Select(i => $"$V{i} ")) + "/d/\n" },
        { "huge flags", "FROM a\nCOPY " + string.Concat(Enumerable.Repeat("--chown=\"x y\" ", 50_000)) + "a b\n" },
        { "many quotes", "FROM a\nARG " + string.Concat(Enumerable.Repeat("\"a b\"=\"c d\" ", 100_000)) + "\n" },
        { "many directives", string.Concat(Enumerable.Repeat("# syntax=x\n", 10_000)) + "FROM a\n" },
        { "long instruction name", new string('F', 1_000_000) + " x\n" },
        { "only escapes", new string('\\', 1_000_000) },
        { "nul bytes", "FROM a\nRUN " + new string('\0', 1_000_000) + "\n" },
        { "long unknown instruction line", "FROM a\n" + string.Concat(Enumerable.Repeat("RUNX ", 200_000)) + "\n" },
        { "port ranges", "FROM a\nEXPOSE " + string.Concat(Enumerable.Repeat("1-2000/udp ", 200)) + "\n" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task Hostile_inputs_fail_cleanly_and_quickly(string name, string dockerfile)
    {
        var sw = Stopwatch.StartNew();
        await FrontendPipeline.RunAsync(dockerfile);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), $"{name} took {sw.Elapsed}");
    }

    [Fact]
    public async Task A_ten_megabyte_line_is_handled()
    {
        var line = new string('a', 10 * 1024 * 1024);
        await FrontendPipeline.RunAsync("FROM a\nRUN echo " + line + "\n");
        await FrontendPipeline.RunAsync("FROM a\nENV A=" + line + "\n");
        await FrontendPipeline.RunAsync("FROM a\nCOPY " + line + " /x\n");
        var syntax = Csbuild.Frontend.Parsing.DockerfileParser.Parse("FROM a\nLABEL x=\"" + line + "\"\n");
        Assert.Equal(line.Length + 2, syntax.Instructions[1].Args[1].Length);
    }

    [Fact]
    public async Task Invalid_utf8_everywhere_is_handled()
    {
        var random = new Random(7);
        for (var i = 0; i < 200; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(Corpus[i % Corpus.Length]);
            for (var j = 0; j < 10; j++) bytes[random.Next(bytes.Length)] = (byte)random.Next(0x80, 0x100);
            await FrontendPipeline.RunAsync(bytes);
        }
        // Overlong '/', an encoded surrogate, a 5-byte form and a truncated sequence.
        byte[] overlong = [.. "FROM a\nRUN "u8, 0xC0, 0xAF, 0xED, 0xA0, 0x80, 0xF8, 0x88, 0x80, 0x80, 0x80, (byte)'\n', 0xE2, 0x82];
        await FrontendPipeline.RunAsync(overlong);
    }
}
