// Starts test/runtimes/app.mjs on each runtime, from the runtimes' own npm packages, and stops it again.
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export const dir = fileURLToPath(new URL("./", import.meta.url));
export type Runtime = "node" | "bun" | "deno" | "workerd";
export const RUNTIMES: Runtime[] = ["node", "bun", "deno", "workerd"];

export interface Server {
  url: string;
  stop(): Promise<void>;
}

/** The binary a runtime's npm package installed (by its postinstall, from its platform package). */
function binary(runtime: Exclude<Runtime, "node">): string {
  const path = join(dir, { bun: "node_modules/bun/bin/bun.exe", deno: "node_modules/deno/deno", workerd: "node_modules/workerd/bin/workerd" }[runtime]);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: the ${runtime} package's postinstall did not run (is it in onlyBuiltDependencies of pnpm-workspace.yaml?). Run pnpm install.`);
  }
  return path;
}

/** Runs `command`; resolves once it says which port it listens on (stdout "listening N", or workerd's control fd). */
function launch(command: string, args: string[], env: Record<string, string>, cwd: string, cleanup = () => {}): Promise<Server> {
  const child: ChildProcess = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe", "pipe"],
  });
  let out = "";
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    cleanup();
  };
  return new Promise((resolve, reject) => {
    const found = (port: number) => resolve({ url: `http://127.0.0.1:${port}`, stop });
    const onOutput = (b: Buffer) => {
      out += b.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) found(Number(m[1]));
    };
    child.stdout!.on("data", onOutput);
    child.stderr!.on("data", (b: Buffer) => void (out += b.toString()));
    // workerd writes {"event":"listen","socket":"http","port":N} to --control-fd=3
    let control = "";
    child.stdio[3]!.on("data", (b: Buffer) => {
      control += b.toString();
      for (const line of control.split("\n")) {
        if (line.includes('"listen"')) found((JSON.parse(line) as { port: number }).port);
      }
    });
    child.once("exit", (code, signal) => {
      cleanup();
      reject(new Error(`${command} exited (${code ?? signal}) before listening:\n${out}`));
    });
  });
}

export async function startServer(runtime: Runtime, env: Record<string, string>): Promise<Server> {
  switch (runtime) {
    case "node":
      return launch(process.execPath, ["serve.node.mjs"], env, dir);
    case "bun":
      return launch(binary("bun"), ["serve.bun.mjs"], env, dir);
    case "deno":
      // --no-lock: no deno.lock written into the repository; bare imports come from node_modules (package.json)
      return launch(binary("deno"), ["run", "--no-lock", "--allow-net=127.0.0.1", "--allow-env", "--allow-read", "serve.deno.mjs"], env, dir);
    case "workerd": {
      // As wrangler does: bundle the worker (conditions workerd, worker, browser) and hand workerd the bundle.
      const out = mkdtempSync(join(tmpdir(), "gw-workerd-"));
      await build({
        entryPoints: [join(dir, "worker.mjs")],
        outfile: join(out, "worker.bundle.js"),
        bundle: true,
        format: "esm",
        platform: "neutral",
        conditions: ["workerd", "worker", "browser"],
        mainFields: ["module", "main"],
        logLevel: "silent",
      });
      copyFileSync(join(dir, "workerd.capnp"), join(out, "workerd.capnp"));
      return launch(binary("workerd"), ["serve", "workerd.capnp", "--control-fd=3"], env, out, () => rmSync(out, { recursive: true, force: true }));
    }
  }
}
