// Starting, asking and stopping a receiver process (bench/lib/server.mjs).
import { fork } from "node:child_process";
import { join } from "node:path";
import { BENCH_DIR } from "./common.mjs";

/** Forks a server of `kind`; resolves once it listens on 127.0.0.1. */
export function startServer(kind, env = {}, execArgv = []) {
  return new Promise((resolve, reject) => {
    // HTTP_CPU: every server pinned to that CPU (taskset), the load generator left the other(s)
    const cpu = process.env.HTTP_CPU;
    const pin = cpu !== undefined ? { execPath: "taskset", execArgv: ["-c", cpu, process.execPath, ...execArgv] } : { execArgv };
    const child = fork(join(BENCH_DIR, "lib", "server.mjs"), [kind], {
      env: { ...process.env, ...env },
      ...pin,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`server ${kind} exited with ${code}`)));
    child.once("message", (m) => resolve({ kind, child, port: m.port }));
  });
}

/** Sends `message` and resolves with the `key` field of the first answer that has one. */
export function ask(server, message, key) {
  return new Promise((resolve) => {
    const on = (m) => {
      if (m && m[key] !== undefined) {
        server.child.off("message", on);
        resolve(m[key]);
      }
    };
    server.child.on("message", on);
    server.child.send(message);
  });
}

export async function stopServer(server) {
  server.child.removeAllListeners("exit");
  if (server.child.exitCode !== null) return;
  const done = new Promise((r) => server.child.once("exit", r));
  server.child.send("exit");
  await done;
}
