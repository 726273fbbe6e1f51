using Slipway.Manifests;

namespace Slipway.Tests.Manifests;

public sealed class DetectorTests : IDisposable
{
    private readonly TempSource _source = new();

    public void Dispose() => _source.Dispose();

    private DetectedService Detect()
    {
        if (!Detector.TryDetect(_source.Dir, out var service, out var error))
            throw new Xunit.Sdk.XunitException("expected detection to succeed, got: " + error);
        return service;
    }

    private string DetectError()
    {
        Detector.TryDetect(_source.Dir, out var service, out var error).Should().BeFalse();
        service.Should().BeNull();
        return error!;
    }

    [Theory]
    [InlineData("package-lock.json", "npm ci")]
    [InlineData("npm-shrinkwrap.json", "npm ci")]
    [InlineData(null, "npm install")]
    public void Npm_install_uses_ci_only_with_a_lockfile(string? lockfile, string install)
    {
        _source.File("package.json", """{ "scripts": { "start": "node app.js", "build": "tsc" } }""");
        if (lockfile is not null)
            _source.File(lockfile, "{}");

        Detect().Should().Be(new DetectedService(ServiceType.Web, install, "npm run build", "npm start", null, "node (package.json)"));
    }

    [Fact]
    public void Node_start_falls_back_to_main_then_server_js_then_index_js()
    {
        _source.File("package.json", """{ "main": "lib/app main.js" }""");
        Detect().Start.Should().Be("node 'lib/app main.js'", "commands run through /bin/sh, so paths are quoted");

        _source.File("package.json", "{}").File("index.js").File("server.js");
        Detect().Start.Should().Be("node server.js");

        File.Delete(Path.Combine(_source.Dir, "server.js"));
        Detect().Should().Be(new DetectedService(ServiceType.Web, "npm install", null, "node index.js", null, "node (index.js)"));
    }

    [Fact]
    public void Vite_app_with_nothing_to_start_is_a_static_site_from_dist()
    {
        _source.File("package.json", """{ "scripts": { "build": "vite build" }, "devDependencies": { "vite": "^7.3.0" } }""")
            .File("package-lock.json", "{}")
            .File("index.html"); // Vite's entry point; must not turn this into a plain static site

        Detect().Should().Be(new DetectedService(ServiceType.Static, "npm ci", "npm run build", null, "dist",
            "static site built with vite (package.json)"));
    }

    [Fact]
    public void Create_react_app_is_a_static_site_from_build()
    {
        _source.File("package.json", """{ "scripts": { "build": "react-scripts build" }, "dependencies": { "react-scripts": "5" } }""");

        Detect().Should().BeEquivalentTo(new { Type = ServiceType.Static, Output = "build", Start = (string?)null });
    }

    [Fact]
    public void Vite_with_a_start_script_is_a_web_service()
    {
        _source.File("package.json", """{ "scripts": { "build": "vite build", "start": "node server.js" }, "dependencies": { "vite": "7" } }""");

        Detect().Should().BeEquivalentTo(new { Type = ServiceType.Web, Start = "npm start", Output = (string?)null });
    }

    [Fact]
    public void Next_app_is_web_with_npm_start()
    {
        _source.File("package.json", """{ "scripts": { "build": "next build", "start": "next start" }, "dependencies": { "next": "15" } }""")
            .File("package-lock.json", "{}");

        Detect().Should().Be(new DetectedService(ServiceType.Web, "npm ci", "npm run build", "npm start", null, "next.js (package.json)"));
    }

    [Fact]
    public void Node_app_with_nothing_to_start_is_an_error_with_a_hint()
    {
        _source.File("package.json", """{ "scripts": { "build": "tsc" } }""");

        DetectError().Should().Contain("no \"start\" script").And.Contain("a \"start\" script in package.json would be used");
    }

    [Fact]
    public void Broken_package_json_is_an_error_with_its_line()
    {
        _source.File("package.json", "{\n  \"scripts\": {,\n}");

        DetectError().Should().StartWith("package.json is not valid JSON (line 2)");
    }

    [Fact]
    public void Csproj_publishes_and_runs_the_assembly_named_in_the_project()
    {
        _source.File("Shop.Api.csproj", """
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <AssemblyName>shop-api</AssemblyName>
              </PropertyGroup>
            </Project>
            """);

        Detect().Should().Be(new DetectedService(ServiceType.Web, null,
            "dotnet publish -c Release -o .slipway-out --nologo", "dotnet .slipway-out/shop-api.dll", null,
            ".NET (Shop.Api.csproj)"));
    }

    [Theory]
    [InlineData("<Project Sdk=\"Microsoft.NET.Sdk\"></Project>")]
    [InlineData("<Project><PropertyGroup><AssemblyName>$(MSBuildProjectName).Host</AssemblyName></PropertyGroup></Project>")]
    [InlineData("not xml at all")]
    public void Csproj_without_a_literal_assembly_name_runs_the_file_name(string project)
    {
        _source.File("Api.csproj", project);

        Detect().Start.Should().Be("dotnet .slipway-out/Api.dll");
    }

    [Fact]
    public void Csproj_wins_over_a_front_end_package_json()
    {
        _source.File("Api.csproj", "<Project />").File("package.json", """{ "scripts": { "start": "vite" } }""");

        Detect().Should().BeEquivalentTo(new { Start = "dotnet .slipway-out/Api.dll", Install = (string?)null });
    }

    [Fact]
    public void Several_csproj_files_are_an_error_naming_them()
    {
        _source.File("Api.csproj", "<Project />").File("Worker.csproj", "<Project />");

        DetectError().Should().Contain("Api.csproj, Worker.csproj").And.Contain("which one");
    }

    [Fact]
    public void Index_html_alone_is_a_static_site_served_as_is()
    {
        _source.File("index.html", "<h1>hi</h1>");

        Detect().Should().Be(new DetectedService(ServiceType.Static, null, null, null, ".", "static site (index.html)"));
    }

    [Fact]
    public void Nothing_detectable_says_what_was_looked_for()
    {
        _source.File("README.md").File("src/index.html").File("app/package.json", "{}");

        DetectError().Should().Contain("package.json").And.Contain("*.csproj").And.Contain("index.html");
    }
}
