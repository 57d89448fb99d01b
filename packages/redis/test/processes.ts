// Child processes for the multi-instance tests: they run the BUILT packages (dist), like a deployed app.
import { execSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Builds core, express and redis when their dist is missing (CI builds before testing; this covers a bare checkout). */
export function ensureBuilt(): void {
  const missing = ["core", "express", "redis"].filter((p) => !existsSync(`${root}packages/${p}/dist/index.js`));
  if (missing.length === 0) return;
  execSync(`pnpm ${missing.map((p) => `--filter @gemini-webhooks/${p}`).join(" ")} build`, { cwd: root, stdio: "inherit" });
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const p of live) p.kill("SIGKILL");
});

export interface Child {
  proc: ChildProcess;
  /** Everything the child printed so far. */
  output(): string;
  /** Resolves with the first stdout line matching `re` (rejects if the child exits first). */
  waitFor(re: RegExp): Promise<RegExpMatchArray>;
  /** Sends a signal and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function startChild(script: string, env: Record<string, string>): Child {
  const proc = spawn(process.execPath, [fixture(script)], { cwd: fileURLToPath(new URL("../", import.meta.url)), env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  live.add(proc);
  let out = "";
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void; reject: (e: Error) => void }[] = [];
  const check = () => {
    for (const w of waiters.slice()) {
      const m = out.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  proc.stdout!.on("data", (d) => {
    out += d;
    check();
  });
  proc.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<void>((r) =>
    proc.on("exit", () => {
      live.delete(proc);
      for (const w of waiters.splice(0)) w.reject(new Error(`${script} exited before printing ${w.re}:\n${out}`));
      r();
    }),
  );
  return {
    proc,
    output: () => out,
    waitFor: (re) =>
      new Promise((resolve, reject) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return reject(new Error(`${script} has exited:\n${out}`));
        waiters.push({ re, resolve, reject });
        check();
      }),
    async kill(signal = "SIGTERM") {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}
