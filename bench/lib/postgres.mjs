// A throwaway PostgreSQL for a benchmark: initdb + postgres on a free 127.0.0.1 port in a temp dir (as the
// `postgres` user when run as root), or the server at DATABASE_URL when that is set. Same settings as the tests'.
import { spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

function bin() {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = "/usr/lib/postgresql";
  const v = existsSync(root) ? readdirSync(root).filter((d) => existsSync(join(root, d, "bin", "initdb"))).sort((a, b) => b - a)[0] : undefined;
  if (v) return join(root, v, "bin");
  const r = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" }).stdout.trim();
  if (!r) throw new Error("no PostgreSQL: apt-get install postgresql, or set DATABASE_URL");
  return r.replace(/\/initdb$/, "");
}

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** { url, stop() } */
export async function startPostgres() {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => {} };
  const b = bin();
  let as = {};
  if (process.getuid?.() === 0) {
    const id = (f) => Number(spawnSync("id", [f, "postgres"], { encoding: "utf8" }).stdout.trim());
    as = { uid: id("-u"), gid: id("-g") };
  }
  const dir = mkdtempSync(join(tmpdir(), "gw-bench-pg-"));
  if (as.uid !== undefined) chownSync(dir, as.uid, as.gid);
  const env = { ...process.env, LC_ALL: "C", LANG: "C" };
  const data = join(dir, "data");
  const init = spawnSync(join(b, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"], { env, cwd: dir, encoding: "utf8", ...as });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const p = spawn(join(b, "postgres"), ["-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"], { env, cwd: dir, stdio: ["ignore", "pipe", "pipe"], ...as });
  await new Promise((resolve, reject) => {
    let log = "";
    const on = (d) => {
      log += d;
      if (log.includes("ready to accept connections")) resolve();
    };
    p.stderr.on("data", on);
    p.stdout.on("data", on);
    p.once("exit", () => reject(new Error(`postgres exited:\n${log}`)));
  });
  p.stderr.resume();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      const gone = new Promise((r) => p.once("exit", r));
      p.kill("SIGQUIT");
      await gone;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
