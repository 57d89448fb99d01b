#!/usr/bin/env node
// publint + @arethetypeswrong/cli on every published package (run after `pnpm build`).
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const pkgs = readdirSync(join(root, "packages"), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
let failed = 0;
for (const name of pkgs) {
  const dir = join(root, "packages", name);
  for (const [tool, args] of [
    ["publint", ["exec", "publint", "--strict", dir]],
    ["attw", ["exec", "attw", "--pack", dir, "--format", "table-flipped"]],
  ]) {
    try {
      const out = execFileSync("pnpm", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      console.log(`ok   ${tool.padEnd(8)} @gemini-webhooks/${name}`);
      if (process.env.VERBOSE) console.log(out);
    } catch (e) {
      failed++;
      console.log(`FAIL ${tool.padEnd(8)} @gemini-webhooks/${name}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
    }
  }
}
process.exit(failed ? 1 : 0);
