// A framework's app as its users run it: built (when the framework needs a build) and started in a child
// process on 127.0.0.1, then sent signed deliveries over HTTP. Used by test/frameworks/*.test.ts.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { expect, it } from "vitest";
import { generateSecret, signStatic } from "@gemini-webhooks/testing";
import { deliver, outcome } from "./requests.js";

/** The environment a child framework process gets: no vitest flags, no secret unless given, no telemetry. */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: "1",
    ASTRO_TELEMETRY_DISABLED: "1",
    NEXT_TELEMETRY_DISABLED: "1",
    ...extra,
  };
  for (const name of ["NODE_OPTIONS", "VITEST", "VITEST_MODE", "VITEST_POOL_ID", "VITEST_WORKER_ID", "NODE_ENV", "TEST"]) delete env[name];
  if (!("GEMINI_WEBHOOK_SECRET" in extra)) delete env.GEMINI_WEBHOOK_SECRET;
  return env as Record<string, string>;
}

/**
 * Runs a framework's build in `cwd` (bounded by `timeoutMs`) with a decoy GEMINI_WEBHOOK_SECRET in its
 * environment, and checks that the decoy appears nowhere in what the build wrote under `outDirs`: the app must
 * read its secret when it runs, not when it is built. Returns the build's output and how long it took.
 */
export function buildApp(cwd: string, command: string[], outDirs: string[], timeoutMs = 120_000): { out: string; ms: number } {
  const decoy = generateSecret();
  const started = performance.now();
  const r = spawnSync(command[0]!, command.slice(1), { cwd, env: childEnv({ GEMINI_WEBHOOK_SECRET: decoy }), encoding: "utf8", timeout: timeoutMs });
  const ms = Math.round(performance.now() - started);
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`${command.join(" ")} failed in ${cwd} (status ${r.status ?? r.signal}, ${ms} ms):\n${out}`);
  const key = decoy.slice("whsec_".length);
  for (const dir of outDirs) {
    for (const file of filesUnder(join(cwd, dir))) {
      expect(readFileSync(file, "latin1").includes(key), `${file} holds the secret the build saw`).toBe(false);
    }
  }
  return { out, ms };
}

function filesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...filesUnder(path));
    else found.push(path);
  }
  return found;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface AppServer {
  /** http://127.0.0.1:<port> */
  base: string;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  /** Resolves once the output holds `text` (the handler's log line may trail the HTTP answer). */
  printed(text: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts `command` in its own process group with `env`; resolves once its output matches `ready`, whose first
 * group, when it has one, is the port (else `port` is). Rejects if the process exits first or stays silent.
 */
export function startApp(options: { command: string[]; cwd: string; env: Record<string, string>; ready: RegExp; port?: number; timeoutMs?: number }): Promise<AppServer> {
  const { command, cwd, env, ready, port, timeoutMs = 30_000 } = options;
  const proc: ChildProcess = spawn(command[0]!, command.slice(1), { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let out = "";
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of [...waiters]) w();
  };
  proc.stdout!.on("data", onData);
  proc.stderr!.on("data", onData);
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));

  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
    try {
      process.kill(-proc.pid, "SIGTERM");
    } catch {
      proc.kill("SIGTERM");
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), 5_000)));
    if ((await Promise.race([exited, late])) === "late") process.kill(-proc.pid, "SIGKILL");
    clearTimeout(timer);
  };

  const printed = (text: string, ms = 10_000) =>
    new Promise<void>((resolve, reject) => {
      if (out.includes(text)) return resolve();
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`the app never printed ${JSON.stringify(text)}; it printed:\n${out}`));
      }, ms);
      const check = () => {
        if (!out.includes(text)) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
    });

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiters.delete(check);
      void stop();
      reject(new Error(`${command.join(" ")} did not get ready within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const check = () => {
      const m = ready.exec(out);
      if (!m) return;
      clearTimeout(timer);
      waiters.delete(check);
      resolve({ base: `http://127.0.0.1:${m[1] ?? port}`, output: () => out, printed, stop });
    };
    waiters.add(check);
    proc.once("exit", (code, signal) => {
      clearTimeout(timer);
      waiters.delete(check);
      reject(new Error(`${command.join(" ")} exited (${code ?? signal}) before it was ready:\n${out}`));
    });
  });
}

const succeeded = (id: string) => ({
  type: "batch.succeeded",
  version: "v1",
  timestamp: new Date().toISOString(),
  data: { id, output_file_uri: `gs://bucket/${id}.jsonl` },
});

/**
 * What every framework's app must do at its /gemini-callback route: a valid delivery is received and its
 * typed handler runs, a tampered one is refused, the same delivery again is a duplicate (the handler does not
 * run twice). The app's batch.succeeded handler prints "[gemini] batch <id> succeeded: <uri> (<webhook id>, v1)".
 */
export function receivesDeliveries(app: () => AppServer, secret: () => string, tag: string): void {
  const url = () => `${app().base}/gemini-callback`;

  it("a valid delivery → 200 received, and the typed handler ran", async () => {
    const d = signStatic({ event: succeeded(`b_${tag}`), secret: secret(), id: `msg_valid_${tag}` });
    const a = await deliver(url(), d);
    expect([a.status, a.body]).toEqual([200, { status: "received" }]);
    await app().printed(`[gemini] batch b_${tag} succeeded: gs://bucket/b_${tag}.jsonl (msg_valid_${tag}, v1)`);
  });

  it("a tampered delivery → 400 signature_mismatch, and no handler ran", async () => {
    const d = signStatic({ event: succeeded(`t_${tag}`), secret: secret(), id: `msg_tamper_${tag}` });
    const a = await deliver(url(), { ...d, body: d.body.replace("gs://bucket", "gs://evil") });
    expect([a.status, outcome(a)]).toEqual([400, "signature_mismatch"]);
    const wrongKey = await deliver(url(), signStatic({ event: succeeded(`t_${tag}`), secret: generateSecret(), id: `msg_tamper2_${tag}` }));
    expect([wrongKey.status, outcome(wrongKey)]).toEqual([400, "signature_mismatch"]);
    // the valid delivery sent next is handled; had a tampered one run, its line would be printed first
    const probe = signStatic({ event: succeeded(`p_${tag}`), secret: secret(), id: `msg_probe_${tag}` });
    expect(outcome(await deliver(url(), probe))).toBe("received");
    await app().printed(`batch p_${tag} succeeded`);
    expect(app().output()).not.toContain(`batch t_${tag}`);
  });

  it("the same delivery again → 200 duplicate, the handler not run twice", async () => {
    const d = signStatic({ event: succeeded(`d_${tag}`), secret: secret(), id: `msg_dup_${tag}` });
    expect(outcome(await deliver(url(), d))).toBe("received");
    await app().printed(`batch d_${tag} succeeded`);
    for (let i = 0; i < 2; i++) {
      const again = await deliver(url(), d);
      expect([again.status, again.body]).toEqual([200, { status: "duplicate" }]);
    }
    // a later delivery's line comes after any second run of the duplicate would have printed
    const next = signStatic({ event: succeeded(`n_${tag}`), secret: secret(), id: `msg_next_${tag}` });
    expect(outcome(await deliver(url(), next))).toBe("received");
    await app().printed(`batch n_${tag} succeeded`);
    expect(app().output().split(`batch d_${tag} succeeded`).length - 1).toBe(1);
  });
}
