// Starts a private redis-server on a free 127.0.0.1 port for a test file. When no redis-server binary exists the
// Redis tests skip, loudly (see `describeRedis`); on this project's machines and in CI (.ci/run installs it) it does.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe } from "vitest";

const BIN = process.env.REDIS_SERVER_BIN ?? "redis-server";

export const hasRedisServer: boolean = spawnSync(BIN, ["--version"], { stdio: "ignore" }).status === 0;

/** `describe`, skipped with a loud warning when there is no redis-server to test against. */
export function describeRedis(name: string, fn: () => void): void {
  if (!hasRedisServer) {
    console.warn(
      `\n!!! SKIPPING "${name}": no redis-server binary found (install it: apt-get install redis-server, or set REDIS_SERVER_BIN). ` +
        "These are the multi-instance tests of @gemini-webhooks/redis.\n",
    );
  }
  describe.skipIf(!hasRedisServer)(name, fn);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Sends one PING over a raw socket; true on +PONG. */
export function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host: "127.0.0.1" });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.on("error", () => done(false));
    sock.on("connect", () => sock.write("PING\r\n"));
    sock.on("data", (d) => done(d.toString().startsWith("+PONG")));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGTERM, then waits for the process to end). */
  stop(): Promise<void>;
  /** Starts it again on the same port (and, with persistence, the same data). */
  start(): Promise<void>;
  /** Stops it and removes its data directory. */
  dispose(): Promise<void>;
}

export interface StartOptions {
  /** Keep data across stop/start with an append-only file fsynced on every write. Default false. */
  persistent?: boolean;
}

/** Servers still running when the test process ends are killed with it. */
const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const p of live) p.kill("SIGKILL");
});

export async function startRedis(options: StartOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "gw-redis-"));
  let proc: ChildProcess | undefined;
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--protected-mode", "no"];
  args.push(...(options.persistent ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]));

  async function start(): Promise<void> {
    let exited = false;
    let log = "";
    const p = spawn(BIN, args, { stdio: ["ignore", "pipe", "pipe"] });
    p.stdout!.on("data", (d) => (log += d));
    p.stderr!.on("data", (d) => (log += d));
    p.on("exit", () => (exited = true));
    proc = p;
    live.add(p);
    p.on("exit", () => live.delete(p));
    for (let i = 0; i < 200; i++) {
      if (exited) throw new Error(`redis-server exited at start:\n${log}`);
      if (await ping(port)) return;
      await sleep(25);
    }
    throw new Error(`redis-server did not answer PING on port ${port}:\n${log}`);
  }

  async function stop(): Promise<void> {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise<void>((r) => p.once("exit", () => r()));
    p.kill("SIGTERM");
    const t = setTimeout(() => p.kill("SIGKILL"), 5000);
    await gone;
    clearTimeout(t);
  }

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
