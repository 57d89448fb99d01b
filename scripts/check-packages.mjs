#!/usr/bin/env node
// publint + @arethetypeswrong/cli on every published package (run after `pnpm build`), and our own rules:
// the MIT LICENSE in the tarball, repository/homepage/bugs set, no sources and no source maps shipped.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const pkgs = readdirSync(join(root, "packages"), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
const license = readFileSync(join(root, "LICENSE"), "utf8");

/** What a package must have (and must not ship), beyond what publint checks. */
function ownRules(dir) {
  const problems = [];
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  if (pkg.license !== "MIT") problems.push(`license is ${pkg.license}, not MIT`);
  if (!pkg.repository?.url || pkg.repository.directory !== `packages/${dir.split("/").pop()}`) problems.push("repository { url, directory } missing or wrong");
  if (!pkg.homepage) problems.push("homepage missing");
  if (!pkg.bugs) problems.push("bugs missing");
  let text = "";
  try {
    text = readFileSync(join(dir, "LICENSE"), "utf8");
  } catch {
    /* reported below */
  }
  if (text !== license) problems.push("LICENSE missing or not the repository's LICENSE");
  const [packed] = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }));
  const files = packed.files.map((f) => f.path);
  if (!files.includes("LICENSE")) problems.push("LICENSE is not in the tarball");
  const unwanted = files.filter((f) => f.endsWith(".map") || f.startsWith("src/") || /\.tsx?$/.test(f.replace(/\.d\.c?ts$/, "")));
  if (unwanted.length) problems.push(`ships sources or maps: ${unwanted.join(", ")}`);
  return problems;
}

let failed = 0;
for (const name of pkgs) {
  const dir = join(root, "packages", name);
  const problems = ownRules(dir);
  if (problems.length) failed++;
  console.log(problems.length ? `FAIL package  @gemini-webhooks/${name}\n  ${problems.join("\n  ")}` : `ok   package  @gemini-webhooks/${name}`);
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
