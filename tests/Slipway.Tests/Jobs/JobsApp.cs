using System.Text.Json;
using System.Text.Json.Nodes;
using Slipway.Tests.Support;

namespace Slipway.Tests.Jobs;

/// <summary>A dependency-free Node app for cron and message tests.
///   /cron/NAME        a cron handler: 401 unless Authorization is "Bearer $CRON_SECRET"; /cron/slow answers after SLOW_MS
///   /calls            the cron calls it accepted and refused, as JSON
///   POST /publish     publishes its body (a message request) to $SLIPWAY_MESSAGES_URL with its token, answers what it got
///   /receive/NAME     a message receiver: checks Slipway-Signature; "fail-twice" answers 500 twice, "always-500" always
///   /received         what it received, as JSON
/// job.js is a command job: prints lines, exits with $JOB_EXIT (default 0). worker.js is a worker whose jobs take
/// 1.5 s each; on SIGTERM it finishes the job in hand, then exits.</summary>
internal static class JobsApp
{
    public static string Create(JsonArray crons, string version = "v1", bool worker = false)
    {
        var dir = TempDirs.Create("jobsapp");
        File.WriteAllText(Path.Combine(dir, "server.js"), """
            const http = require('http');
            const crypto = require('crypto');
            const calls = [], received = [], counts = {};
            const json = (res, status, value) => { res.statusCode = status; res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(value)); };
            const server = http.createServer((req, res) => {
              res.setHeader('X-App-Version', process.env.VERSION_TAG || 'none');
              const chunks = [];
              req.on('data', c => chunks.push(c));
              req.on('end', () => {
                const body = Buffer.concat(chunks);
                const url = req.url;
                if (url.startsWith('/cron/')) {
                  const name = url.slice(6);
                  const ok = req.headers['authorization'] === 'Bearer ' + process.env.CRON_SECRET;
                  calls.push({ name, ok, method: req.method, job: req.headers['x-slipway-cron-job'] || null });
                  if (!ok) return json(res, 401, { error: 'not the platform' });
                  console.log('cron ' + name + ' ran with secret ' + process.env.CRON_SECRET);
                  if (name === 'slow') return setTimeout(() => json(res, 200, { done: name }), Number(process.env.SLOW_MS || 20000));
                  return json(res, 200, { done: name });
                }
                if (url === '/calls') return json(res, 200, calls);
                if (url === '/received') return json(res, 200, received);
                if (url === '/publish' && req.method === 'POST') {
                  const target = new URL(process.env.SLIPWAY_MESSAGES_URL);
                  const out = http.request({ hostname: target.hostname, port: target.port, path: target.pathname, method: 'POST',
                    headers: { 'content-type': 'application/json', 'authorization': 'Bearer ' + process.env.SLIPWAY_MESSAGES_TOKEN } }, r => {
                    const parts = []; r.on('data', c => parts.push(c));
                    r.on('end', () => json(res, r.statusCode, JSON.parse(Buffer.concat(parts).toString() || '{}')));
                  });
                  out.on('error', e => json(res, 599, { error: String(e) }));
                  out.end(body);
                  return;
                }
                if (url.startsWith('/receive/')) {
                  const name = url.slice(9);
                  const sig = req.headers['slipway-signature'] || '';
                  const t = (sig.match(/t=(\d+)/) || [])[1];
                  const v1 = (sig.match(/v1=([0-9a-f]+)/) || [])[1];
                  const expected = crypto.createHmac('sha256', process.env.SLIPWAY_MESSAGES_SIGNING_KEY).update(t + '.').update(body).digest('hex');
                  const signed = !!v1 && v1 === expected;
                  counts[name] = (counts[name] || 0) + 1;
                  received.push({ name, body: body.toString(), signed, attempt: req.headers['slipway-attempt'], id: req.headers['slipway-message-id'] });
                  if (!signed) return json(res, 401, { error: 'bad signature' });
                  if (name === 'always-500' || (name === 'fail-twice' && counts[name] <= 2)) return json(res, 500, { error: 'try again' });
                  return json(res, 200, { ok: true });
                }
                res.end('ok');
              });
            });
            server.listen(process.env.PORT, process.env.HOST);
            process.on('SIGTERM', () => server.close(() => process.exit(0)));
            """);
        File.WriteAllText(Path.Combine(dir, "job.js"), """
            console.log('job ' + process.env.SLIPWAY_CRON_JOB + ' run ' + process.env.SLIPWAY_CRON_RUN_ID + ' starting');
            console.log('processed 3 rows');
            console.error('a warning on stderr');
            process.exit(Number(process.env.JOB_EXIT || 0));
            """);
        File.WriteAllText(Path.Combine(dir, "worker.js"), """
            const tag = process.env.VERSION_TAG;
            let stopping = false, n = 0;
            process.on('SIGTERM', () => { console.log(`worker ${tag} got SIGTERM`); stopping = true; });
            const next = () => {
              if (stopping) { console.log(`worker ${tag} exiting after its job`); process.exit(0); }
              n++;
              console.log(`worker ${tag} job ${n} started`);
              setTimeout(() => { console.log(`worker ${tag} job ${n} finished`); next(); }, 1500);
            };
            next();
            """);
        var services = new JsonObject
        {
            ["web"] = new JsonObject
            {
                ["start"] = "node server.js",
                ["healthcheck"] = new JsonObject { ["path"] = "/health", ["interval"] = "200ms" },
                ["env"] = new JsonObject { ["VERSION_TAG"] = version },
            },
        };
        if (worker)
        {
            services["worker"] = new JsonObject
            {
                ["type"] = "worker", ["start"] = "node worker.js", ["env"] = new JsonObject { ["VERSION_TAG"] = version },
            };
        }
        var manifest = new JsonObject { ["services"] = services, ["crons"] = crons, ["deploy"] = new JsonObject { ["stopTimeout"] = "20s" } };
        File.WriteAllText(Path.Combine(dir, "slipway.json"), manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return dir;
    }

    public static JsonObject Http(string name, string schedule, string path, Action<JsonObject>? more = null)
    {
        var job = new JsonObject { ["name"] = name, ["schedule"] = schedule, ["path"] = path };
        more?.Invoke(job);
        return job;
    }

    public static JsonObject Command(string name, string schedule, string command, Action<JsonObject>? more = null)
    {
        var job = new JsonObject { ["name"] = name, ["schedule"] = schedule, ["command"] = command };
        more?.Invoke(job);
        return job;
    }
}
