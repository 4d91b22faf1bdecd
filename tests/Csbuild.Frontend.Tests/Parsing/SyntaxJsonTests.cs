using Csbuild.Frontend.Parsing;

namespace Csbuild.Frontend.Tests.Parsing;

public class SyntaxJsonTests
{
    [Fact]
    public void Renders_the_documented_format()
    {
        var s = P.Parse("# escape=\\\nFROM a AS b\nCOPY --from=b <<EOF /x\nhi\nEOF\nONBUILD ENV a b c\n");
        var json = DockerfileSyntaxJson.Render(s, indented: false);
        Assert.Equal(
            "{\"directives\":{\"escape\":\"\\\\\"},\"instructions\":[" +
            "{\"line\":2,\"endLine\":2,\"command\":\"from\",\"flags\":[],\"args\":[\"a\",\"AS\",\"b\"],\"json\":false,\"heredocs\":[]}," +
            "{\"line\":3,\"endLine\":5,\"command\":\"copy\",\"flags\":[\"--from=b\"],\"args\":[\"<<EOF\",\"/x\"],\"json\":false," +
            "\"heredocs\":[{\"name\":\"EOF\",\"content\":\"hi\\n\",\"expand\":true,\"chomp\":false}]}," +
            "{\"line\":6,\"endLine\":6,\"command\":\"onbuild\",\"flags\":[],\"args\":[\"ENV a b c\"],\"json\":false,\"heredocs\":[]," +
            "\"next\":{\"line\":6,\"endLine\":6,\"command\":\"env\",\"flags\":[],\"args\":[\"a\",\"b c\"],\"json\":false,\"heredocs\":[]}}]}",
            json);
    }

    [Fact]
    public void Json_form_flag_is_rendered()
    {
        var json = DockerfileSyntaxJson.Render(P.Parse("FROM a\nCMD [\"x\"]\n"), indented: false);
        Assert.Contains("\"command\":\"cmd\",\"flags\":[],\"args\":[\"x\"],\"json\":true", json);
    }

    [Fact]
    public void Rendering_is_stable()
    {
        var s = P.Parse("FROM a\nRUN x\n");
        Assert.Equal(DockerfileSyntaxJson.Render(s), DockerfileSyntaxJson.Render(P.Parse("FROM a\nRUN x\n")));
    }

    [Fact]
    public void Text_format_is_one_instruction_a_line()
    {
        var text = DockerfileSyntaxJson.RenderText(P.Parse("FROM a\nRUN --network=none echo \"x\"\n"));
        Assert.Equal("1 FROM \"a\"\n2 RUN --network=none \"echo \\\"x\\\"\"\n", text);
    }
}
