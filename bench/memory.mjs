// The in-memory idempotency store holding 1,000,000 processed ids: heap growth and the cost of
// claim + complete per delivery.
//   node --expose-gc bench/memory.mjs        (after `pnpm build`)
// Env: MEMORY_IDS (default 1,000,000).
import { fmtInt, fmtNum, machineLine, printTable, requireBuilt } from "./lib/common.mjs";
import { emit, figure } from "./lib/report.mjs";

requireBuilt("core");
if (typeof globalThis.gc !== "function") {
  console.error("run with --expose-gc: node --expose-gc bench/memory.mjs");
  process.exit(2);
}
const { memoryStore } = await import("@gemini-webhooks/core");

const N = Number(process.env.MEMORY_IDS ?? 1_000_000);
const COMMAND = "node --expose-gc bench/memory.mjs";
const HEAP_GOAL_MB = 150;

function settledHeap() {
  for (let i = 0; i < 4; i++) globalThis.gc();
  return process.memoryUsage().heapUsed;
}

/**
 * A webhook-id as the receiver gets it: a flat string read from the header (Standard Webhooks ids look
 * like `msg_` + 27 base62 characters), unique per counter value.
 */
function idOf(i) {
  return Buffer.from(`msg_${i.toString(36).padStart(27, "0")}`, "latin1").toString("latin1");
}
/** The key handle() hands the store: the namespace, a colon, the id (create.ts builds it this way). */
const keyOf = (id) => `gemini:${id}`;

/** Runs `op(i)` for i = 0, 1, … until `n` calls or `ms` milliseconds; returns [ns per call, calls]. */
function timed(n, ms, op) {
  const limit = BigInt(ms) * 1_000_000n;
  const start = process.hrtime.bigint();
  let i = 0;
  let elapsed = 0n;
  while (i < n) {
    const end = Math.min(n, i + 1024);
    for (; i < end; i++) op(i);
    elapsed = process.hrtime.bigint() - start;
    if (elapsed > limit) break;
  }
  return [Number(elapsed) / i, i];
}

console.log(`# memory: memoryStore() with ${fmtInt(N)} processed (done) ids`);
console.log(machineLine());
console.log("keys as handle() makes them: `gemini:` + a 31-character webhook-id read from a header\n");

// 1. Heap growth: the store plus the id strings it keeps alive, created inside the measured span as
//    they would arrive, measured after full GCs.
const store = memoryStore({ maxEntries: N });
const before = settledHeap();
for (let i = 0; i < N; i++) {
  const k = keyOf(idOf(i));
  if (store.claim(k) !== "new") throw new Error("claim of a new id was not 'new'");
  store.complete(k);
}
const after = settledHeap();
if (store.size !== N) throw new Error(`store holds ${store.size} ids, expected ${N}`);
const growthMB = (after - before) / 2 ** 20;
const perEntry = (after - before) / N;

// 2. Cost per delivery with keys made beforehand (string building not timed), each phase bounded in
//    time: claim + complete of new ids into a store still filling; the same into the full store (each
//    evicts the oldest id: the steady state of a busy receiver); and the duplicate check (claim of a done id).
const M = Math.min(N, 300_000);
const keys = new Array(M);
for (let i = 0; i < M; i++) keys[i] = keyOf(idOf(N + i));
const filling = memoryStore({ maxEntries: 2 * N });
for (let i = 0; i < N / 2; i++) filling.claim(keyOf(idOf(2 * N + i)));
settledHeap();
const [fillNs, fillOps] = timed(M, 3000, (i) => {
  filling.claim(keys[i]);
  filling.complete(keys[i]);
});
settledHeap();
const [fullNs, fullOps] = timed(M, 3000, (i) => {
  store.claim(keys[i]);
  store.complete(keys[i]);
});
let dups = 0;
const [dupNs, dupOps] = timed(fullOps, 3000, (i) => {
  if (store.claim(keys[i]) === "done") dups++;
});
if (dups !== dupOps) throw new Error(`only ${dups} of ${dupOps} repeated ids were seen as duplicates`);

printTable([
  ["figure", "value", "goal"],
  [`heap growth, ${fmtInt(N)} done ids`, `${fmtNum(growthMB, 1)} MB`, `≤ ${HEAP_GOAL_MB} MB: ${growthMB <= HEAP_GOAL_MB ? "met" : "NOT met"}`],
  ["heap per id (key string + map entry)", `${fmtNum(perEntry, 0)} B`, ""],
  [`claim + complete, new id, store filling (${fmtInt(fillOps)} ops)`, `${fmtNum(fillNs, 0)} ns`, ""],
  [`claim + complete, new id, store full: evicts oldest (${fmtInt(fullOps)} ops)`, `${fmtNum(fullNs, 0)} ns`, ""],
  [`claim of a done id, store full: duplicate check (${fmtInt(dupOps)} ops)`, `${fmtNum(dupNs, 0)} ns`, ""],
]);

emit("memory", [
  figure(`memoryStore heap growth, ${fmtInt(N)} done ids`, +growthMB.toFixed(1), "MB", `≤ ${HEAP_GOAL_MB} MB`, growthMB <= HEAP_GOAL_MB, COMMAND),
  figure("memoryStore heap per id", Math.round(perEntry), "B", "", null, COMMAND),
  figure("memoryStore claim + complete (new id, filling)", Math.round(fillNs), "ns/op", "", null, COMMAND),
  figure("memoryStore claim + complete (new id, full, evicting)", Math.round(fullNs), "ns/op", "", null, COMMAND),
  figure("memoryStore claim of a done id", Math.round(dupNs), "ns/op", "", null, COMMAND),
]);
