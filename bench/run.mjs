// Runs every benchmark, one after the other, each in its own process, and prints a summary of every
// figure with its goal. `pnpm bench` (root) builds the packages first, then runs this.
//   node bench/run.mjs [--only verify,verify-dynamic,cold-start,http,receive,memory,soak] [--markdown FILE]
// Env is passed through (VERIFY_*, HTTP_*, MEMORY_IDS, SOAK_*); SOAK_SECONDS defaults to 60 here.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BENCH_DIR, ROOT, fmtNum, machine, machineLine, printTable } from "./lib/common.mjs";

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = opt("--only")?.split(",");
const markdown = opt("--markdown");

const SCRIPTS = [
  { name: "verify", file: "verify.mjs", args: [] },
  { name: "verify-dynamic", file: "verify-dynamic.mjs", args: [] },
  { name: "cold-start", file: "cold-start.mjs", args: [] },
  { name: "http", file: "http.mjs", args: [] },
  { name: "receive", file: "receive.mjs", args: [] },
  { name: "memory", file: "memory.mjs", args: ["--expose-gc"] },
  { name: "soak", file: "soak.mjs", args: [], env: { SOAK_SECONDS: process.env.SOAK_SECONDS ?? "60" } },
];

const dir = mkdtempSync(join(tmpdir(), "gemini-bench-"));
const started = Date.now();
const all = [];
const failed = [];
console.log(machineLine());
for (const s of SCRIPTS) {
  if (only && !only.includes(s.name)) continue;
  const resultFile = join(dir, `${s.name}.json`);
  const t0 = Date.now();
  console.log(`\n======== ${s.name} (node ${[...s.args, `bench/${s.file}`].join(" ")}) ========\n`);
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, [...s.args, join(BENCH_DIR, s.file)], {
      cwd: ROOT,
      stdio: "inherit",
      env: { ...process.env, ...s.env, BENCH_RESULT_FILE: resultFile },
    });
    child.on("exit", (c) => resolve(c ?? 1));
  });
  console.log(`\n(${s.name}: ${fmtNum((Date.now() - t0) / 1000, 0)} s)`);
  if (code !== 0) {
    failed.push(s.name);
    continue;
  }
  try {
    all.push(...JSON.parse(readFileSync(resultFile, "utf8")).figures);
  } catch {
    failed.push(s.name);
  }
}
rmSync(dir, { recursive: true, force: true });

const total = (Date.now() - started) / 1000;
const mark = (f) => (f.met === null ? "" : f.met ? "met" : "NOT met");
console.log(`\n======== summary (${fmtNum(total, 0)} s) ========\n`);
printTable([["figure", "value", "goal", ""], ...all.map((f) => [f.name, `${f.value} ${f.unit}`.trim(), f.goal, mark(f)])]);
const missed = all.filter((f) => f.met === false);
console.log(
  `\n${all.filter((f) => f.met !== null).length - missed.length} of ${all.filter((f) => f.met !== null).length} goals met` +
    (missed.length ? `; not met: ${missed.map((f) => f.name).join("; ")}` : "") +
    (failed.length ? `; FAILED to run: ${failed.join(", ")}` : ""),
);

if (markdown) {
  const m = machine();
  const lines = [
    `Machine: ${m.nproc} cores (${m.cpu}), ${m.memGiB} GiB RAM, Node ${m.node}, ${m.platform}; load average at the end ${m.load}. Run took ${fmtNum(total, 0)} s.`,
    "",
    "| figure | value | goal | met | command |",
    "|---|---|---|---|---|",
    ...all.map((f) => `| ${f.name} | ${`${f.value} ${f.unit}`.trim()} | ${f.goal} | ${mark(f)} | \`${f.command}\` |`),
  ];
  writeFileSync(markdown, lines.join("\n") + "\n");
  console.log(`markdown table written to ${markdown}`);
}
process.exitCode = failed.length ? 1 : 0;
