// Shared helpers for the benchmarks: machine description, timing loops, formatting, event bodies.
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");
export const ROOT = join(BENCH_DIR, "..");

/** Fails early, with the fix, when a package's dist is missing (benchmarks import built packages). */
export function requireBuilt(pkg) {
  const file = join(ROOT, "packages", pkg, "dist", "index.js");
  if (!existsSync(file)) {
    console.error(`packages/${pkg}/dist is missing: run \`pnpm build\` (or \`pnpm --filter @gemini-webhooks/${pkg} build\`) first.`);
    process.exit(2);
  }
}

export function isBuilt(pkg) {
  return existsSync(join(ROOT, "packages", pkg, "dist", "index.js"));
}

/** nproc, CPU model, memory, Node version: printed with every figure. */
export function machine() {
  let model = os.cpus()[0]?.model ?? "unknown";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) model = m[1].trim();
  } catch {
    /* not Linux */
  }
  return {
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpu: model,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    load: os.loadavg().map((l) => l.toFixed(2)).join(" "),
  };
}

export function machineLine() {
  const m = machine();
  return `machine: ${m.nproc} cores (${m.cpu}), ${m.memGiB} GiB, Node ${m.node}, ${m.platform}, load avg ${m.load}`;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** The q-quantile (0..1) of xs, linearly interpolated. */
export function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
}

export function fmtInt(n) {
  return Math.round(n).toLocaleString("en-US");
}

export function fmtNum(n, digits = 2) {
  return Number.isFinite(n) ? n.toFixed(digits) : String(n);
}

export function pad(s, n) {
  s = String(s);
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

export function padLeft(s, n) {
  s = String(s);
  return s.length >= n ? s : " ".repeat(n - s.length) + s;
}

/** Prints an aligned table: rows of cells, first row the header. */
export function printTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const [j, r] of rows.entries()) {
    console.log(r.map((c, i) => (i === 0 ? pad(c, widths[i]) : padLeft(c, widths[i]))).join("  "));
    if (j === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
}

/** CPU time used by this process so far, in ms (user + system, all threads). */
function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Runs `fn` repeatedly for about `ms` milliseconds of this process's CPU time; returns ops per CPU-second.
 * CPU time, not wall time: on a shared machine wall time also counts the moments the neighbours had the
 * core. `isAsync` says whether to await `fn` (awaiting a sync function would add a microtask per op).
 * Calls are batched so reading the clock costs nothing measurable.
 */
export async function runFor(fn, ms, isAsync, batch = 32) {
  const start = cpuMs();
  let ops = 0;
  let used = 0;
  let sink = 0;
  do {
    if (isAsync) for (let i = 0; i < batch; i++) await fn();
    else for (let i = 0; i < batch; i++) if (fn()) sink++;
    ops += batch;
    used = cpuMs() - start;
  } while (used < ms);
  if (sink === -1) console.log(sink);
  return (ops * 1000) / used;
}

/**
 * Benchmarks several candidates side by side: a warm-up each, then `rounds` rounds in which every
 * candidate runs for `roundMs` in turn (interleaved, the order rotating, so a slow phase of a shared
 * machine hits all alike). Returns each candidate's median ops/s and its per-round samples; use
 * `ratio()` for the median of per-round ratios between two of them.
 */
export async function compare(candidates, { warmupMs = 300, roundMs = 300, rounds = 7 } = {}) {
  for (const c of candidates) await runFor(c.fn, warmupMs, c.async);
  const samples = new Map(candidates.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < candidates.length; k++) {
      const c = candidates[(k + r) % candidates.length];
      samples.get(c.name).push(await runFor(c.fn, roundMs, c.async));
    }
  }
  return candidates.map((c) => {
    const s = samples.get(c.name);
    return { name: c.name, opsPerSec: median(s), min: Math.min(...s), max: Math.max(...s), samples: s };
  });
}

/** Median over rounds of a.ops/s ÷ b.ops/s, both measured in the same round. */
export function ratio(a, b) {
  return median(a.samples.map((x, i) => x / b.samples[i]));
}

/**
 * A realistic event body of about `bytes` bytes: a batch.succeeded envelope whose user_metadata is
 * padded (dynamic webhooks echo user_metadata back).
 */
export function eventBody(bytes) {
  const base = {
    type: "batch.succeeded",
    version: "v1",
    timestamp: "2026-01-22T12:00:00Z",
    data: { id: "batches/batch_123456", output_file_uri: "gs://my-bucket/results/2026-01-22/output.jsonl" },
    user_metadata: { tenant: "acme-corp", job: "nightly-embeddings", note: "" },
  };
  const empty = JSON.stringify(base).length;
  const words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor ";
  let note = "";
  while (note.length < bytes - empty) note += words;
  base.user_metadata.note = note.slice(0, Math.max(0, bytes - empty));
  return JSON.stringify(base);
}
