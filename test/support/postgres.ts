// Starts a private PostgreSQL (initdb + postgres) on a free 127.0.0.1 port in a temp dir, for a test file.
// initdb refuses to run as root: when the tests run as root (CI does) the server runs as the `postgres` system
// user (Debian's package creates it), else as `nobody`; as any other user it runs as that user. When no
// PostgreSQL binaries exist the Postgres tests skip, loudly (see `describePostgres`); .ci/run installs them.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe } from "vitest";
import { freePort } from "./redis-server.js";

/** The directory holding initdb and postgres: PG_BIN, else Debian's newest /usr/lib/postgresql/<n>/bin, else PATH. */
function findBin(): string | undefined {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, "bin", "initdb")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], "bin");
  }
  const r = spawnSync("sh", ["-c", "command -v initdb"], { encoding: "utf8" });
  const path = r.stdout?.trim();
  return path ? path.replace(/\/initdb$/, "") : undefined;
}

const BIN = findBin();
export const hasPostgres: boolean = BIN !== undefined && spawnSync(join(BIN, "postgres"), ["--version"], { stdio: "ignore" }).status === 0;

/** `describe`, skipped with a loud warning when there is no PostgreSQL to test against. */
export function describePostgres(name: string, fn: () => void): void {
  if (!hasPostgres) {
    console.warn(
      `\n!!! SKIPPING "${name}": no PostgreSQL binaries found (install them: apt-get install postgresql, or set PG_BIN to the directory holding initdb). ` +
        "These are the tests of @gemini-webhooks/postgres.\n",
    );
  }
  describe.skipIf(!hasPostgres)(name, fn);
}

/** uid/gid to run the server as: ourselves, unless we are root (initdb and postgres refuse root). */
function runAs(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return undefined;
  for (const user of ["postgres", "nobody"]) {
    const u = spawnSync("id", ["-u", user], { encoding: "utf8" });
    const g = spawnSync("id", ["-g", user], { encoding: "utf8" });
    if (u.status === 0 && g.status === 0) return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
  }
  throw new Error("The tests run as root and there is neither a `postgres` nor a `nobody` user to run PostgreSQL as.");
}

export interface PostgresServer {
  readonly port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust authentication, loopback only). */
  readonly url: string;
  /** Stops the server at once (SIGQUIT: `pg_ctl stop -m immediate`) and waits for the process to end. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data (crash recovery after an immediate stop). */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

export interface StartPostgresOptions {
  /** max_connections. Default 100. */
  maxConnections?: number;
}

/** Servers still running when the test process ends are stopped with it. */
const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const p of live) p.kill("SIGQUIT");
});

export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  if (!BIN) throw new Error("no PostgreSQL binaries (apt-get install postgresql)");
  const as = runAs();
  const dir = mkdtempSync(join(tmpdir(), "gw-pg-"));
  if (as) chownSync(dir, as.uid, as.gid);
  const data = join(dir, "data");
  const env = { ...process.env, LC_ALL: "C", LANG: "C" };
  const init = spawnSync(join(BIN, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"], {
    encoding: "utf8",
    env,
    cwd: dir,
    ...(as ?? {}),
  });
  if (init.status !== 0) throw new Error(`initdb failed (${init.status}):\n${init.stdout}\n${init.stderr}`);
  const port = await freePort();
  const args = [
    "-D", data,
    "-p", String(port),
    "-k", dir,
    "-c", "listen_addresses=127.0.0.1",
    // no fsync (the tests never crash the OS); commits still reach the WAL, so an immediate stop loses none
    "-c", "fsync=off",
    "-c", "full_page_writes=off",
    "-c", `max_connections=${options.maxConnections ?? 100}`,
    "-c", "shared_buffers=32MB",
  ];
  let proc: ChildProcess | undefined;

  async function start(): Promise<void> {
    let log = "";
    let exited = false;
    const p = spawn(join(BIN!, "postgres"), args, { env, cwd: dir, stdio: ["ignore", "pipe", "pipe"], ...(as ?? {}) });
    proc = p;
    live.add(p);
    p.on("exit", () => {
      exited = true;
      live.delete(p);
    });
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        log += d;
        if (/database system is ready to accept connections/.test(log)) {
          p.stderr!.off("data", onData);
          p.stdout!.off("data", onData);
          p.stderr!.resume();
          p.stdout!.resume();
          resolve();
        }
      };
      p.stderr!.on("data", onData);
      p.stdout!.on("data", onData);
      p.once("exit", () => reject(new Error(`postgres exited at start:\n${log}`)));
    });
    if (exited) throw new Error(`postgres exited at start:\n${log}`);
  }

  async function stop(): Promise<void> {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise<void>((r) => p.once("exit", () => r()));
    p.kill("SIGQUIT");
    const t = setTimeout(() => p.kill("SIGKILL"), 10_000);
    await gone;
    clearTimeout(t);
  }

  await start();
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A PostgreSQL server and a pool on it for one describe block: started in beforeAll (then `setup(pool)`),
 * the pool ended and the server stopped in afterAll. Read `db.server` / `db.pool` inside the tests.
 */
export function usePostgres(options: { max?: number; setup?: (pool: pg.Pool) => Promise<unknown> } = {}): { readonly server: PostgresServer; readonly pool: pg.Pool } {
  let server: PostgresServer | undefined;
  let pool: pg.Pool | undefined;
  beforeAll(async () => {
    server = await startPostgres();
    pool = new pg.Pool({ connectionString: server.url, max: options.max ?? 4 });
    await options.setup?.(pool);
  });
  afterAll(async () => {
    await pool?.end();
    await server?.dispose();
  });
  return {
    get server() {
      if (!server) throw new Error("usePostgres: the server starts in beforeAll");
      return server;
    },
    get pool() {
      if (!pool) throw new Error("usePostgres: the pool is made in beforeAll");
      return pool;
    },
  };
}
