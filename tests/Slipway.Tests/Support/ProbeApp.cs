namespace Slipway.Tests.Support;

/// <summary>A Node app that tries, from inside its sandbox, what a compromised app would: GET /try?pid=P&amp;port=N
/// answers JSON with each attempt's outcome (an errno code like "ENOENT" when refused); /forkbomb spawns
/// processes until the kernel refuses; /hog allocates memory until it is killed; /write?name=N writes a file in
/// the volume, the build and /tmp; /read?name=N tells which of them still hold it. PROBE_DATA is the platform's
/// data directory, as an attacker would guess it.</summary>
internal static class ProbeApp
{
    /// <param name="volume">A volume "uploads" mounted there, which /write and /read use.</param>
    public static string Create(string dataDir, string resources = "", string? volume = null)
    {
        var env = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["PROBE_DATA"] = dataDir, ["VOLUME_DIR"] = volume ?? "/nowhere" });
        var volumes = volume is null ? "" : $", \"volumes\": {{ \"uploads\": {System.Text.Json.JsonSerializer.Serialize(volume)} }}";
        var dir = TempDirs.Create("probe");
        File.WriteAllText(Path.Combine(dir, "server.js"), """
            const http = require('http'), fs = require('fs'), net = require('net'), cp = require('child_process');
            const data = process.env.PROBE_DATA;
            const attempt = (f) => { try { return f(); } catch (e) { return e.code || String(e); } };
            const read = (p) => attempt(() => { fs.readFileSync(p); return 'read'; });
            const connect = (o) => new Promise((done) => {
              const s = net.connect(o);
              const t = setTimeout(() => { s.destroy(); done('timeout'); }, 3000);
              s.on('connect', () => { clearTimeout(t); s.destroy(); done('connected'); });
              s.on('error', (e) => { clearTimeout(t); done(e.code); });
            });
            async function tries(q) {
              return {
                uid: process.getuid(),
                masterKey: read(data + '/master.key'),
                apiToken: read(data + '/api-token'),
                database: read(data + '/slipway.db'),
                logs: attempt(() => fs.readdirSync(data + '/logs').length ? 'listed' : 'empty'),
                otherBuild: attempt(() => fs.readdirSync(data + '/builds/other').length ? 'listed' : 'empty'),
                otherEnviron: read('/proc/' + q.get('pid') + '/environ'),
                signal: attempt(() => { process.kill(Number(q.get('pid')), 'SIGTERM'); return 'signalled'; }),
                processes: fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length,
                apiSocket: await connect({ path: data + '/slipway.sock' }),
                otherPort: await connect({ host: '127.0.0.1', port: Number(q.get('port')) }),
                ownBuild: attempt(() => { fs.writeFileSync('x.txt', 'x'); return 'written'; }),
                shadow: read('/etc/shadow'),
              };
            }
            function forkbomb(res) {
              const kids = []; let started = 0, refused = null;
              for (let i = 0; i < 400; i++) {
                try { const k = cp.spawn('sleep', ['30'], { stdio: 'ignore' }); k.on('error', (e) => { refused = refused || e.code; }); if (k.pid) { started++; kids.push(k); } }
                catch (e) { refused = refused || e.code; }
              }
              setTimeout(() => { kids.forEach((k) => k.kill('SIGKILL')); res.end(JSON.stringify({ started, refused })); }, 500);
            }
            const held = [];
            http.createServer(async (req, res) => {
              const url = new URL(req.url, 'http://x'), q = url.searchParams;
              if (url.pathname === '/try') return res.end(JSON.stringify(await tries(q)));
              if (url.pathname === '/forkbomb') return forkbomb(res);
              if (url.pathname === '/hog') { res.end('hogging'); setInterval(() => { const b = Buffer.alloc(16 << 20); b.fill(1); held.push(b); }, 5); return; }
              const places = { volume: process.env.VOLUME_DIR + '/', build: '', tmp: '/tmp/' };
              if (url.pathname === '/write') {
                const out = {}; for (const [k, p] of Object.entries(places)) out[k] = attempt(() => { fs.writeFileSync(p + q.get('name'), 'x'); return 'written'; });
                return res.end(JSON.stringify(out));
              }
              if (url.pathname === '/read') {
                const out = {}; for (const [k, p] of Object.entries(places)) out[k] = fs.existsSync(p + q.get('name'));
                return res.end(JSON.stringify(out));
              }
              res.setHeader('X-App-Version', process.env.VERSION || 'none');
              res.end('ok');
            }).listen(process.env.PORT, process.env.HOST);
            """);
        File.WriteAllText(Path.Combine(dir, "slipway.json"), $$"""
            {
              "services": { "web": { "start": "node server.js", "env": {{env}}{{resources}} } }{{volumes}}
            }
            """);
        return dir;
    }
}
