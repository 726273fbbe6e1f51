using Slipway.Tests.Support;

namespace Slipway.Tests.Databases;

/// <summary>A dependency-free Node app on its DATABASE_URL (through psql, one connection per request, so it
/// reconnects by nature): GET /write?v=WORD inserts and answers once committed, GET /read lists every value, GET /env?name=VAR answers a variable.
/// Its release command creates the table, so a deploy proves the database is reachable before traffic moves.</summary>
internal static class DbApp
{
    public static string Create(string databases = "{ \"main\": { \"type\": \"postgres\" } }")
    {
        var dir = TempDirs.Create("dbapp");
        File.WriteAllText(Path.Combine(dir, "server.js"), """
            const http = require('http');
            const { execFileSync } = require('child_process');
            const sql = q => execFileSync('psql', [process.env.DATABASE_URL, '-tAX', '-v', 'ON_ERROR_STOP=1', '-c', q], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
            const server = http.createServer((req, res) => {
              const url = new URL(req.url, 'http://x');
              try {
                if (url.pathname === '/write') {
                  const v = url.searchParams.get('v');
                  if (!/^[a-z0-9]+$/.test(v)) { res.statusCode = 400; res.end('bad value'); return; }
                  sql(`insert into items(v) values ('${v}')`);
                  res.end('ok');
                } else if (url.pathname === '/read') {
                  res.end(sql("select coalesce(string_agg(v, ',' order by id), '') from items"));
                } else if (url.pathname === '/env') {
                  res.end(process.env[url.searchParams.get('name')] || '');
                } else {
                  res.end('up');
                }
              } catch (e) {
                res.statusCode = 503;
                res.end(String(e.stderr || e.message));
              }
            });
            server.listen(process.env.PORT, process.env.HOST);
            process.on('SIGTERM', () => server.close(() => process.exit(0)));
            """);
        File.WriteAllText(Path.Combine(dir, "slipway.json"), $$"""
            {
              "services": { "web": {
                "start": "node server.js",
                "release": "psql \"$DATABASE_URL\" -v ON_ERROR_STOP=1 -c 'create table if not exists items(id serial primary key, v text not null)'"
              } },
              "databases": {{databases}}
            }
            """);
        return dir;
    }
}
