using Slipway.Manifests;
using static Slipway.Tests.Manifests.ManifestAssertions;

namespace Slipway.Tests.Manifests;

/// <summary>services.NAME.resources, deploy.buildMemory and the top-level volumes: what processes may use and keep,
/// validated whole against this machine and the allowed mount roots.</summary>
public sealed class ResourcesAndVolumesTests : IDisposable
{
    private readonly TempSource _source = new();

    public void Dispose() => _source.Dispose();

    [Fact]
    public void Declared_limits_and_volumes_are_read_and_unset_ones_stay_defaults()
    {
        _source.Manifest("""
            {
              "services": {
                "web": { "start": "node server.js", "resources": { "memory": "512mb", "cpu": 0.5, "pids": 256 } },
                "jobs": { "type": "worker", "start": "node jobs.js" }
              },
              "deploy": { "buildMemory": "1gb" },
              "volumes": { "uploads": "/data/uploads/", "cache": "./var/cache" }
            }
            """);

        var spec = LoadOk(_source).Spec;

        spec.Services[0].Resources.Should().Be(new ResourcesSpec(512L << 20, 0.5, 256));
        spec.Services[1].Resources.Should().Be(ResourcesSpec.Defaults);
        spec.Deploy.BuildMemoryBytes.Should().Be(1L << 30);
        spec.Volumes.Should().Equal(new VolumeSpec("uploads", "/data/uploads"), new VolumeSpec("cache", "var/cache"));
        spec.Volumes[1].IsRelative.Should().BeTrue();
    }

    [Fact]
    public void More_than_the_machine_has_is_an_error_at_each_key_path()
    {
        _source.Manifest("""
            {
              "services": { "web": { "start": "node server.js", "resources": { "memory": "100000gb", "cpu": 4096, "pids": 2 } } },
              "deploy": { "buildMemory": "1kb" }
            }
            """);

        var invalid = LoadInvalid(_source);

        invalid.SingleErrorAt("services.web.resources.memory").Message.Should().Contain("more than this machine's memory");
        invalid.SingleErrorAt("services.web.resources.cpu").Message.Should().Contain($"more than this machine has ({Environment.ProcessorCount})");
        invalid.SingleErrorAt("services.web.resources.pids").Message.Should().Contain("from 8 to 1000000");
        invalid.SingleErrorAt("deploy.buildMemory").Message.Should().Contain("at least 32mb");
    }

    [Theory]
    [InlineData("/etc/cron.d", "outside the allowed roots")]
    [InlineData("/data/../etc", "outside the allowed roots")]
    [InlineData("/var/lib/slipway", "outside the allowed roots")]
    [InlineData("../elsewhere", "without \"..\"")]
    [InlineData(".", "would hide the app's own files")]
    [InlineData("node_modules/x", "would hide the app's own files")]
    public void A_volume_outside_the_allowed_roots_is_an_error_naming_them(string path, string problem)
    {
        _source.Manifest($$"""{ "services": { "web": { "start": "node server.js" } }, "volumes": { "uploads": "{{path}}" } }""");

        var message = LoadInvalid(_source).SingleErrorAt("volumes.uploads").Message;

        message.Should().Contain(problem);
        if (problem != "would hide the app's own files")
        {
            message.Should().Contain("under /data").And.Contain("relative path like \"uploads\"");
        }
    }

    [Fact]
    public void Overlapping_volumes_bad_names_and_misplaced_keys_are_errors()
    {
        _source.File("dist/index.html", "<h1>hi</h1>").Manifest("""
            {
              "services": {
                "web": { "start": "node server.js", "memory": "1gb", "volumes": { "a": "/data/a" } },
                "site": { "type": "static", "output": "dist", "path": "/site", "resources": { "memory": "64mb" } }
              },
              "volumes": { "files": "/data/files", "thumbs": "/data/files/thumbs", "Bad_Name": "/data/x", "n": 3 }
            }
            """);

        var invalid = LoadInvalid(_source);

        invalid.SingleErrorAt("volumes.thumbs").Message.Should().Contain("overlaps volume \"files\"");
        invalid.SingleErrorAt("volumes.Bad_Name").Message.Should().Contain("lowercase letters");
        invalid.SingleErrorAt("volumes.n").Message.Should().Contain("expected the path it is mounted at");
        invalid.SingleErrorAt("services.web.memory").Message.Should().Contain("resources.memory");
        invalid.SingleErrorAt("services.web.volumes").Message.Should().Contain("move \"volumes\" to the top level");
        invalid.SingleErrorAt("services.site.resources").Message.Should().Contain("static services");
    }
}
