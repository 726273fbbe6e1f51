using System.Text;
using Slipway.Errors;
using Slipway.Errors.SourceMaps;
using Slipway.Tests.Support;
using Slipway.Manifests;

namespace Slipway.Tests.Errors.SourceMaps;

public sealed class HiddenSourceMapsTests
{
    private static AppSpec Spec(bool sourceMaps, string root = ".") => new()
    {
        Services = [new ServiceSpec { Name = "web", Type = ServiceType.Static, Root = root, Build = "npm run build", Output = "dist" }],
        Errors = new ErrorsSpec { SourceMaps = sourceMaps },
    };

    [Fact]
    public void A_map_named_otherwise_than_its_file_is_paired_by_the_files_comment_as_Turbopack_writes_them()
    {
        var data = TempDirs.Create("maps-data");
        var build = TempDirs.Create("maps-turbopack");
        var chunks = Path.Combine(build, ".next", "static", "chunks");
        var server = Path.Combine(build, ".next", "server", "chunks");
        Directory.CreateDirectory(chunks);
        Directory.CreateDirectory(server);
        File.WriteAllText(Path.Combine(chunks, "26qfrj1r3e6mh.js"), "ONE.foo=function(n){return baz(n)};\n\n//# sourceMappingURL=2ngis78srtgow.js.map\n");
        File.WriteAllText(Path.Combine(chunks, "2ngis78srtgow.js.map"),
            $$"""{"version":3,"sources":[],"sections":[{"offset":{"line":0,"column":0},"map":{{SourceMapTests.TestMap}}}]}""");
        // Turbopack's server chunks name their maps URL-encoded.
        File.WriteAllText(Path.Combine(server, "[root-of-the-server]__0a.js"), "x\n//# sourceMappingURL=%5Broot-of-the-server%5D__0a.js.map");
        File.WriteAllText(Path.Combine(server, "[root-of-the-server]__0a.js.map"), SourceMapTests.TestMap);
        // A marker inside the code is not the file's comment.
        File.WriteAllText(Path.Combine(chunks, "inline.js"), "const s = '//# sourceMappingURL=2ngis78srtgow.js.map';\nrun(s);\n");
        var store = new SourceMapStore(new ErrorsOptions(data));
        var lines = new List<string>();

        new HiddenSourceMaps(store).Collect(AppRef.Of("shop"), "r1", Spec(true), build, lines.Add);

        File.ReadAllText(Path.Combine(chunks, "26qfrj1r3e6mh.js")).Should().Be("ONE.foo=function(n){return baz(n)};\n\n", "the browser must not ask for it");
        File.ReadAllText(Path.Combine(server, "[root-of-the-server]__0a.js")).Should().Be("x\n");
        File.ReadAllText(Path.Combine(chunks, "inline.js")).Should().Contain("run(s)");
        Directory.GetFiles(build, "*.map", SearchOption.AllDirectories).Should().BeEmpty();
        lines.Should().Contain(l => l.StartsWith("errors: kept 2 source maps", StringComparison.Ordinal));

        var found = store.For("shop", "r1").Find("https://shop.example.com/_next/static/chunks/26qfrj1r3e6mh.js", 1, 19);
        (found?.Source, found?.Line, found?.Name).Should().Be(("/the/root/one.js", 1, "bar"), "the chunk finds the map it named, an index map");
    }

    [Fact]
    public void Maps_move_out_of_the_build_with_their_comments_and_are_found_by_the_url_that_served_the_bundle()
    {
        var data = TempDirs.Create("maps-data");
        var build = TempDirs.Create("maps-build");
        Directory.CreateDirectory(Path.Combine(build, "dist", "assets"));
        Directory.CreateDirectory(Path.Combine(build, "node_modules", "lib"));
        File.WriteAllText(Path.Combine(build, "dist", "assets", "min.js"), "ONE.foo=function(n){return baz(n)};\n//# sourceMappingURL=min.js.map\n");
        File.WriteAllText(Path.Combine(build, "dist", "assets", "min.js.map"), SourceMapTests.TestMap);
        File.WriteAllText(Path.Combine(build, "dist", "assets", "style.css"), "a{}\n/*# sourceMappingURL=style.css.map */");
        File.WriteAllText(Path.Combine(build, "dist", "assets", "style.css.map"), "{}");
        File.WriteAllText(Path.Combine(build, "dist", "orphan.js.map"), "{}");
        File.WriteAllText(Path.Combine(build, "node_modules", "lib", "index.js"), "x");
        File.WriteAllText(Path.Combine(build, "node_modules", "lib", "index.js.map"), "{}");
        // A build may leave links: one to a file outside (another app's map, say) is never followed nor moved.
        var outside = Path.Combine(TempDirs.Create("maps-outside"), "secret.js.map");
        File.WriteAllText(outside, "{}");
        File.CreateSymbolicLink(Path.Combine(build, "dist", "linked.js.map"), outside);
        File.WriteAllText(Path.Combine(build, "dist", "linked.js"), "x\n//# sourceMappingURL=linked.js.map");
        var store = new SourceMapStore(new ErrorsOptions(data));
        var lines = new List<string>();

        new HiddenSourceMaps(store).Collect(AppRef.Of("shop", "staging"), "abc123def456", Spec(true), build, lines.Add);

        File.Exists(Path.Combine(build, "dist", "assets", "min.js.map")).Should().BeFalse("the edge must find no map to serve");
        File.Exists(Path.Combine(build, "dist", "assets", "style.css.map")).Should().BeFalse();
        File.ReadAllText(Path.Combine(build, "dist", "assets", "min.js")).Should().Be("ONE.foo=function(n){return baz(n)};\n", "nothing asks for the map");
        File.ReadAllText(Path.Combine(build, "dist", "assets", "style.css")).Should().Be("a{}\n");
        File.Exists(Path.Combine(build, "dist", "orphan.js.map")).Should().BeFalse("a map whose file went elsewhere must not be served either");
        File.Exists(outside).Should().BeTrue("a link is not followed");
        new FileInfo(Path.Combine(build, "dist", "linked.js.map")).LinkTarget.Should().Be(outside, "a link is left where it is");
        File.Exists(Path.Combine(build, "node_modules", "lib", "index.js.map")).Should().BeTrue("dependencies' maps are theirs");
        lines.Should().ContainSingle().Which.Should().StartWith("errors: kept 3 source maps").And.Contain("release abc123def456");
        File.Exists(Path.Combine(data, "source-maps", "shop", "abc123def456", "dist", "assets", "min.js.map")).Should().BeTrue("kept per app, not per environment");

        var lookup = store.For("shop", "abc123def456");
        var found = lookup.Find("https://shop.example.com/assets/min.js?v=3", 1, 19);
        found.Should().NotBeNull();
        (found!.Source, found.Line, found.Name).Should().Be(("/the/root/one.js", 1, "bar"));
        store.For("shop", "another-release").Find("https://shop.example.com/assets/min.js", 1, 19).Should().BeNull("maps are of their own release only");
        store.For("shop", "../../etc").Find("https://shop.example.com/assets/min.js", 1, 19).Should().BeNull();

        store.DeleteApp("shop");
        Directory.Exists(Path.Combine(data, "source-maps", "shop")).Should().BeFalse();
    }

    [Fact]
    public void A_build_that_wrote_no_maps_says_how_to_make_them_and_an_app_without_the_option_keeps_its_maps()
    {
        var build = TempDirs.Create("maps-none");
        File.WriteAllText(Path.Combine(build, "app.js"), "x");
        File.WriteAllText(Path.Combine(build, "app.js.map"), "{}");
        var hidden = new HiddenSourceMaps(new SourceMapStore(new ErrorsOptions(TempDirs.Create("maps-data"))));
        var lines = new List<string>();

        hidden.Collect(AppRef.Of("shop"), "r1", Spec(false), build, lines.Add);
        lines.Should().BeEmpty();
        File.Exists(Path.Combine(build, "app.js.map")).Should().BeTrue();

        File.Delete(Path.Combine(build, "app.js.map"));
        hidden.Collect(AppRef.Of("shop"), "r1", Spec(true), build, lines.Add);
        lines.Should().ContainSingle().Which.Should().Contain("the build wrote no source maps").And.Contain("hidden-source-map");
    }

    [Fact]
    public void A_vite_config_is_wrapped_so_the_build_writes_hidden_maps_and_an_app_without_one_gets_one()
    {
        var build = TempDirs.Create("maps-vite");
        File.WriteAllText(Path.Combine(build, "package.json"), """{"devDependencies":{"vite":"^7.0.0"}}""");
        File.WriteAllText(Path.Combine(build, "vite.config.ts"), "export default { base: '/' };");
        var lines = new List<string>();
        var hidden = new HiddenSourceMaps(new SourceMapStore(new ErrorsOptions(TempDirs.Create("maps-data"))));

        hidden.Prepare(AppRef.Of("shop"), Spec(true), build, lines.Add);

        File.ReadAllText(Path.Combine(build, "vite.config.ts")).Should().Be("export default { base: '/' };", "a tsconfig that includes it still finds it");
        var wrapper = File.ReadAllText(Path.Combine(build, "vite.config.mjs"));
        wrapper.Should().Contain("import config from './vite.config.ts';").And.Contain("sourcemap: 'hidden'");

        var js = TempDirs.Create("maps-vite-js");
        File.WriteAllText(Path.Combine(js, "package.json"), """{"devDependencies":{"vite":"^7.0.0"}}""");
        File.WriteAllText(Path.Combine(js, "vite.config.js"), "export default {};");
        hidden.Prepare(AppRef.Of("shop"), Spec(true), js, lines.Add);
        File.Exists(Path.Combine(js, "vite.config.js")).Should().BeFalse("vite reads .js before the wrapper: it takes another name");
        File.ReadAllText(Path.Combine(js, "vite.config.mjs")).Should().Contain("import config from './vite.slipway-user.config.js';");
        lines.Should().HaveCount(2).And.OnlyContain(l => l.Contains("Vite builds hidden source maps"));

        var bare = TempDirs.Create("maps-vite-bare");
        File.WriteAllText(Path.Combine(bare, "package.json"), """{"dependencies":{"vite":"^7.0.0"}}""");
        hidden.Prepare(AppRef.Of("shop"), Spec(true), bare, lines.Add);
        File.ReadAllText(Path.Combine(bare, "vite.config.mjs")).Should().Contain("const config = {};").And.Contain("sourcemap: 'hidden'");
    }

    [Fact]
    public void A_next_config_gets_production_browser_source_maps()
    {
        var build = TempDirs.Create("maps-next");
        Directory.CreateDirectory(Path.Combine(build, "web"));
        File.WriteAllText(Path.Combine(build, "web", "package.json"), """{"dependencies":{"next":"15.0.0","react":"19.0.0"}}""");
        File.WriteAllText(Path.Combine(build, "web", "next.config.js"), "module.exports = { output: 'standalone' };");
        var hidden = new HiddenSourceMaps(new SourceMapStore(new ErrorsOptions(TempDirs.Create("maps-data"))));

        hidden.Prepare(AppRef.Of("shop"), Spec(true, root: "web"), build, _ => { });

        File.ReadAllText(Path.Combine(build, "web", "next.config.mjs")).Should().Contain("import config from './next.slipway-user.config.js';")
            .And.Contain("productionBrowserSourceMaps: true").And.Contain("await config(phase, context)");
    }

    [Fact]
    public void A_typescript_next_config_gets_a_typescript_wrapper_and_an_unknown_one_is_left_alone()
    {
        var hidden = new HiddenSourceMaps(new SourceMapStore(new ErrorsOptions(TempDirs.Create("maps-data"))));
        var ts = TempDirs.Create("maps-next-ts");
        File.WriteAllText(Path.Combine(ts, "package.json"), """{"dependencies":{"next":"15.0.0"}}""");
        File.WriteAllText(Path.Combine(ts, "next.config.ts"), "export default {};");
        hidden.Prepare(AppRef.Of("shop"), Spec(true), ts, _ => { });
        File.ReadAllText(Path.Combine(ts, "next.config.ts")).Should().StartWith("// @ts-nocheck").And.Contain("import config from './next.slipway-user.config';");

        var mts = TempDirs.Create("maps-next-mts");
        File.WriteAllText(Path.Combine(mts, "package.json"), """{"dependencies":{"next":"15.0.0"}}""");
        File.WriteAllText(Path.Combine(mts, "next.config.mts"), "export default { output: 'standalone' };");
        var lines = new List<string>();
        hidden.Prepare(AppRef.Of("shop"), Spec(true), mts, lines.Add);
        Directory.GetFiles(mts).Select(Path.GetFileName).Should().BeEquivalentTo(["package.json", "next.config.mts"], "its config is never shadowed");
        lines.Should().ContainSingle().Which.Should().Contain("productionBrowserSourceMaps: true");
    }
}
