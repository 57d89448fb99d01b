// Receiver replicas as real child processes, for the crash test. Each replica is one serving process plus a warm
// standby (started, not yet routed to): a SIGKILL takes the serving process down and the standby takes over at
// once, as a supervisor's restart would, only without waiting for Node to start (a second or more on a busy
// machine); a new standby then starts in the background. Each process runs the BUILT packages (dist).
import { execSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const fixture = fileURLToPath(new URL("./fixtures/receiver.mjs", import.meta.url));

/** Builds core, express and postgres when their dist is missing (CI builds before testing). */
export function ensureBuilt(): void {
  const missing = ["core", "express", "postgres"].filter((p) => !existsSync(`${root}packages/${p}/dist/index.js`));
  if (missing.length === 0) return;
  execSync(`pnpm ${missing.map((p) => `--filter @gemini-webhooks/${p}`).join(" ")} build`, { cwd: root, stdio: "inherit" });
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const p of live) p.kill("SIGKILL");
});

interface Proc {
  child: ChildProcess;
  ready: Promise<number>;
  killedByTest: boolean;
}

export interface Replica {
  /** The serving process's port, undefined while none serves. */
  readonly port: number | undefined;
  /** Exits we did not cause (a crash of our own making must be the only kind). */
  readonly unexpectedExits: string[];
  /** SIGKILLs of a serving process. */
  readonly kills: number;
  start(): Promise<void>;
  /** SIGKILLs the serving process; the standby serves from then on. Resolves once it does. */
  crash(): Promise<void>;
  /** Stops every process of the replica. */
  stop(): Promise<void>;
}

/** A replica that calls `onHold(id)` when its handler holds after an insert (the moment to kill it). */
export function replica(env: Record<string, string>, onHold: (r: Replica, id: string) => void): Replica {
  let serving: Proc | undefined;
  let standby: Proc | undefined;
  let port: number | undefined;
  let kills = 0;
  let stopped = false;
  const unexpectedExits: string[] = [];

  function spawnProc(): Proc {
    const child = spawn(process.execPath, [fixture], { cwd: fileURLToPath(new URL("./", import.meta.url)), env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    live.add(child);
    const p: Proc = { child, ready: undefined as unknown as Promise<number>, killedByTest: false };
    let out = "";
    let err = "";
    child.stderr!.on("data", (d) => (err += d));
    p.ready = new Promise<number>((resolve, reject) => {
      child.stdout!.on("data", (d: Buffer) => {
        out += d;
        let nl: number;
        while ((nl = out.indexOf("\n")) >= 0) {
          const line = out.slice(0, nl);
          out = out.slice(nl + 1);
          const ready = /^READY (\d+)$/.exec(line);
          if (ready) resolve(Number(ready[1]));
          const hold = /^HOLD (.+)$/.exec(line);
          if (hold && serving === p) onHold(r, hold[1]!);
        }
      });
      child.once("exit", (code, signal) => {
        live.delete(child);
        if (!p.killedByTest) unexpectedExits.push(`exit ${code ?? signal}: ${err.slice(-2000)}`);
        reject(new Error(`the receiver exited before READY (${code ?? signal}):\n${err}`));
      });
    });
    p.ready.catch(() => {});
    return p;
  }

  async function kill(p: Proc | undefined): Promise<void> {
    if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
    p.killedByTest = true;
    const gone = new Promise<void>((res) => p.child.once("exit", () => res()));
    p.child.kill("SIGKILL");
    await gone;
  }

  const r: Replica = {
    get port() {
      return port;
    },
    unexpectedExits,
    get kills() {
      return kills;
    },
    async start() {
      serving = spawnProc();
      standby = spawnProc();
      port = await serving.ready;
      await standby.ready;
    },
    async crash() {
      const victim = serving;
      serving = undefined;
      port = undefined;
      kills++;
      await kill(victim);
      if (stopped) return;
      const next = standby!;
      standby = spawnProc();
      const p = await next.ready;
      if (stopped) return;
      serving = next;
      port = p;
    },
    async stop() {
      stopped = true;
      port = undefined;
      await Promise.all([kill(serving), kill(standby)]);
    },
  };
  return r;
}
