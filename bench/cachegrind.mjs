// What each request path (node:http, Koa 3, Express 5) costs in instructions and cache misses, counted by valgrind's cachegrind
// (a simulated CPU: the counts do not depend on what else the host runs, so a change of a fraction of a µs
// shows in one run). The apps are bench/http.mjs's (bench/lib/apps.mjs), driven without sockets
// (bench/lib/socketless.mjs) or, with CG_TRANSPORT=http, served over loopback HTTP; one request at a time. Each kind runs twice under cachegrind, with N1 and N2
// measured requests after the same warm-up and the same signing; (run N2 − run N1) ÷ (N2 − N1) is the cost
// of one request, start-up, warm-up and signing cancelled out.
//   node bench/cachegrind.mjs        (after `pnpm build`; needs valgrind: apt-get install -y valgrind)
// Env: CG_FRAMEWORKS (node,koa,express; default node), CG_KINDS (one framework's kinds instead of bare, inline,
// ours), CG_EXTRA (more kinds, e.g. an ablation), CG_BASELINE (other builds' packages/ dirs, comma-separated:
// their receiver as more rows), CG_THRASH_KB (cold caches: a
// walk over a buffer of that size before each request; default 0 = warm; the walk costs every kind the same,
// so it cancels in "added"), CG_N (N1,N2: default 1000,3000), CG_WARM (requests before the measured ones,
// default 6000), CG_JOBS (valgrind runs at a time, default 2), CG_TOP (list the functions where ours and inline
// differ most), CG_REPEAT (make every kind's pair of runs that many times, pooled; each repeat's figure printed
// too), CG_OUT_DIR (keep the runs there), CG_REUSE=1 (analyse the runs in CG_OUT_DIR again),
// CG_TRANSPORT=http (the apps served over loopback HTTP by node:http, the server counted, a client outside
// valgrind sending one request at a time on one keep-alive connection), CG_JS=1 (callgrind with V8's perf
// map: CG_TOP names JS functions instead of one "???" row; slower, and its counts are not cachegrind's),
// CG_SCAVENGE_EVERY=K (a scavenge before every K-th request in every kind: the same number in each kind's window),
// CG_VARY=1 (with CG_REPEAT: each repeat in a memory layout of its own, so the pooled figure averages over layouts).
// The simulated caches are the machine's L1s (32 KB I, 32 KB D) and, as "LL", a 1 MB L2; the cost estimate
// weighs a first-level miss 10 instructions and an L2 miss 40 (what an L3 hit costs on this EPYC).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import http from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchApps } from "./lib/apps.mjs";
import { attributed, subtract } from "./lib/callgrind.mjs";
import { fmtNum, printTable, requireBuilt } from "./lib/common.mjs";
import { keepAliveClient } from "./lib/keepalive.mjs";
import { socketlessRequests } from "./lib/socketless.mjs";

// V8 on one thread (no compiler or GC threads, whose work would land in one run and not the other), no memory
// reducer (a timer-driven GC: valgrind's slowness would set it off), an old space large enough that no mark-compact
// falls in a run (whether one does decides a run's figure; scavenges, which every request pays for, still run); fixed hash and random
// seeds; the young generation fixed at the size a busy server's grows to (16 MB semi-spaces, Node 20's maximum):
// V8 otherwise grows and shrinks it by the allocation rate per wall-clock ms, which under valgrind depends on the host's
// load, and with it how many scavenges fall in a run and how often the request path finds its caches flushed
const NODE_FLAGS = (process.env.CG_NODE_FLAGS ?? "--single-threaded --no-memory-reducer --initial-old-space-size=1024 --min-semi-space-size=16 --max-semi-space-size=16 --hash-seed=1 --random-seed=1").split(" ").filter(Boolean);
// cachegrind's events, in cg_annotate's order
const EVENTS = ["Ir", "I1mr", "ILmr", "D1mr", "DLmr", "D1mw", "DLmw"];
// The garbage collector's and the optimizing compiler's functions: when they run depends on the heap and on
// tiering more than on the request, and a run of 2,000 requests catches a mark-compact or not, so they are
// counted apart, each in a column of its own ("GC", "compiler"): a kind whose functions tier up later than another's
// shows it there, not in the request path; the rest is the request path itself ("mutator").
const GC = /Mark|Sweep|Scaveng|Pretenuring|NewSpace::|Promot|Evacuat|Heap::|IteratePointers|LiveObject|SizeFromMap|RecordMigrated|ObjectCache|Compactor|RememberedSet|SlotSet|BodyDescriptor|Visitor|GCTracer|MemoryAllocator|Page::|FreeList|heap::base|compiler::|Zone/;

// (of those, the optimizing compiler's)
const COMPILER = /compiler::|Zone/;

if (process.env.CG_CHILD) await child(JSON.parse(process.env.CG_CHILD));
else await parent();

async function child({ kind, packages, secret, n, warm, total, thrashKB, transport, scavengeEvery }) {
  let handled = 0;
  const app = await benchApps({ secret, packages, onHandled: () => void handled++ })[kind]();
  if (transport === "http") return httpChild({ kind, app, handled: () => handled, thrashKB, scavengeEvery });
  const requests = socketlessRequests({ app, secret, prefix: "0123456789ab" }); // the same ids in every run
  requests.prepare(total); // the same number signed in every run of a kind, whatever n is
  const walk = coldCaches(thrashKB);
  const scavenge = scavenger(scavengeEvery);
  for (let i = 0; i < warm + n; i++) {
    walk();
    scavenge();
    await requests.one();
  }
  if (!kind.endsWith("-bare") && handled === 0) throw new Error(`${kind}: no handler ran`);
  process.exit(0);
}

/** CG_THRASH_KB: a walk over a buffer of that size, one touch per cache line (a no-op for 0). */
function coldCaches(thrashKB) {
  const thrash = thrashKB > 0 ? new Uint8Array(thrashKB * 1024) : undefined;
  return () => {
    if (thrash) for (let j = 0; j < thrash.length; j += 64) thrash[j]++;
  };
}

/**
 * CG_SCAVENGE_EVERY=K: a scavenge (V8's young-generation GC) before every K-th request, in every kind alike.
 * Left to V8, a scavenge falls when the young generation fills, so how many fall between the two runs of a
 * kind (N2 − N1 requests) is a fraction rounded either way: Express allocates about 28 KB a request, 2,000
 * requests fill 16 MB semi-spaces 3.5 times, and a run that catches 4 scavenges instead of 3 also pays the
 * cache misses that follow each one in the request path. K below what fills the young generation (16 MB) in
 * every kind makes the count exact: (N2 − N1) ÷ K scavenges in every kind. (A no-op for 0.)
 */
function scavenger(every) {
  let i = 0;
  return every > 0 ? () => void (++i % every === 0 && globalThis.gc({ type: "minor" })) : () => {};
}

/**
 * CG_TRANSPORT=http: the app served by node:http on 127.0.0.1, as bench/lib/server.mjs serves it; the client is
 * the parent (outside valgrind: only the server is counted). It sends every request on one keep-alive
 * connection, one at a time, and closes it when done; the server exits then.
 */
function httpChild({ kind, app, handled, thrashKB, scavengeEvery }) {
  const walk = coldCaches(thrashKB);
  const scavenge = scavenger(scavengeEvery);
  const server = http.createServer(
    thrashKB > 0 || scavengeEvery > 0
      ? (req, res) => {
          walk();
          scavenge();
          app(req, res);
        }
      : app,
  );
  server.keepAliveTimeout = 600_000;
  server.requestTimeout = 0; // valgrind is slow: no timer-driven close while a run goes on
  server.headersTimeout = 0;
  server.on("connection", (socket) =>
    socket.once("close", () => {
      if (!kind.endsWith("-bare") && handled() === 0) {
        console.error(`${kind}: no handler ran`);
        process.exit(1);
      }
      process.exit(0);
    }),
  );
  server.listen(0, "127.0.0.1", () => process.stdout.write(`PORT ${server.address().port}\n`));
}

/** The client of an http run: warm + n requests on one keep-alive connection (the same ids in every run). */
async function httpClient(port, { secret, n, warm }) {
  const client = await keepAliveClient(port, { secret });
  await client.send(warm + n);
  await client.close();
}

/**
 * CG_VARY=1: repeat r runs in layout r. Layout 0 is NODE_FLAGS as they are; layout r > 0 has V8's hash and
 * random seeds r + 1 (other hash-table bucket orders, other heap page addresses) and r × 200 more bytes of
 * environment (the stack and everything node copies at start-up shifted). Which hot lines share a
 * simulated cache set depends on that layout, not on the code under test, and it moves a kind's L2 misses
 * by 10 – 15 % on Express; pooled over layouts, that luck averages out instead of staying fixed per kind.
 */
function layoutFlags(layout) {
  if (!layout) return NODE_FLAGS;
  return NODE_FLAGS.map((f) => (f.startsWith("--hash-seed=") ? `--hash-seed=${layout + 1}` : f.startsWith("--random-seed=") ? `--random-seed=${layout + 1}` : f));
}

function layoutEnv(layout) {
  return layout ? { CG_LAYOUT_PAD: "x".repeat(layout * 200) } : {};
}

/** One valgrind run, its per-function counts kept in `out` (cg_diff subtracts two of them). */
function measure(job, out) {
  return new Promise((resolve, reject) => {
    // setarch -R: no address randomisation (where objects and code land decides which cache sets they share)
    const caches = ["--cache-sim=yes", "--I1=32768,8,64", "--D1=32768,8,64", "--LL=1048576,16,64"];
    // CG_JS=1: callgrind, per instruction, and V8's perf map to name the JIT code after its JS functions
    const tool = job.js ? ["--tool=callgrind", "--dump-instr=yes", ...caches, `--callgrind-out-file=${out}`] : ["--tool=cachegrind", ...caches, `--cachegrind-out-file=${out}`];
    const args = ["-R", "valgrind", ...tool, process.execPath, ...layoutFlags(job.layout), ...(job.js ? ["--perf-basic-prof"] : []), ...(job.scavengeEvery > 0 ? ["--expose-gc"] : []), fileURLToPath(import.meta.url)];
    const p = spawn("setarch", args, { env: { ...process.env, CG_CHILD: JSON.stringify(job), ...layoutEnv(job.layout) }, stdio: ["ignore", job.transport === "http" ? "pipe" : "inherit", "pipe"] });
    let err = "";
    p.stderr.on("data", (d) => (err += d));
    p.once("error", reject);
    if (job.transport === "http") {
      // the server's port on its first line of output; then the client's requests
      let out = "";
      p.stdout.on("data", (d) => {
        if (out.includes("\n")) return;
        out += d;
        const m = /^PORT (\d+)\n/.exec(out);
        if (m) httpClient(Number(m[1]), job).catch((e) => (p.kill(), reject(e)));
      });
    }
    p.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`${job.kind} (n=${job.n}): exit ${code}\n${err.slice(-2000)}`));
      // valgrind runs node in its own process: node's pid is the one spawned
      if (job.js) renameSync(join(tmpdir(), `perf-${p.pid}.map`), `${out}.map`);
      resolve();
    });
  });
}

/** Per function, the counts of run b minus run a (cg_diff, then cg_annotate with every function listed). */
function perFunction(a, b, dir, name, js) {
  if (js) return subtract(attributed(a, `${a}.map`), attributed(b, `${b}.map`));
  const diff = join(dir, `${name}.diff`);
  writeFileSync(diff, execFileSync("cg_diff", [a, b], { maxBuffer: 1 << 28 }));
  const text = execFileSync("cg_annotate", [`--show=${EVENTS.join(",")}`, "--threshold=0", "--auto=no", diff], { maxBuffer: 1 << 28 }).toString();
  const fns = new Map();
  for (const line of text.split("\n")) {
    // "1,234 ( 0.5%)  56 ( 0.1%) ... file:function"; cg_annotate leaves a column blank or "." for a zero
    const m = /^\s*((?:(?:-?[\d,]+(?:\s+\(\s*-?[\d.]+%\))?|\.)\s+){7})(\S.*)$/.exec(line);
    if (!m) continue;
    const nums = [...m[1].matchAll(/(-?[\d,]+)(?:\s+\(\s*-?[\d.]+%\))?|\./g)].map((x) => (x[1] === undefined ? 0 : Number(x[1].replaceAll(",", ""))));
    if (nums.length === 7) fns.set(m[2].trim(), nums);
  }
  return fns;
}

/** Per-function counts summed over runs (the maps perFunction gives). */
function pool(runs) {
  if (runs.length === 1) return runs[0];
  const sum = new Map();
  for (const fns of runs) {
    for (const [fn, v] of fns) {
      const into = sum.get(fn);
      if (into) v.forEach((x, i) => (into[i] += x));
      else sum.set(fn, [...v]);
    }
  }
  return sum;
}

/** Instructions and cache misses per request: the mutator's (the request path), the collector's and the compiler's apart. */
function summarise(fns, n) {
  const mut = EVENTS.map(() => 0);
  const gc = EVENTS.map(() => 0);
  const compiler = EVENTS.map(() => 0);
  for (const [fn, v] of fns) {
    if (fn.includes("PROGRAM TOTALS")) continue;
    const into = !isGC(fn) ? mut : COMPILER.test(fn) ? compiler : gc;
    v.forEach((x, i) => (into[i] += x / n));
  }
  const pick = (v) => ({ ir: v[0], l1: v[1] + v[3] + v[5], ll: v[2] + v[4] + v[6] });
  return { mut: pick(mut), gc: pick(gc), compiler: pick(compiler) };
}

/** A function of the collector or the optimizing compiler (never a JS function, whatever its name). */
function isGC(fn) {
  return GC.test(fn) && !fn.includes("RecordWrite") && !fn.startsWith("JS ");
}

// a cost estimate in cycles: an instruction 1, a first-level miss 10, a miss in the 1 MB L2 40 (an L3 hit here)
function cycles(c) {
  return c.ir + 10 * c.l1 + 40 * c.ll;
}

async function parent() {
  requireBuilt("core");
  // a fixed secret, fixed ids, fixed V8 seeds and no address randomisation: with the young generation fixed (NODE_FLAGS), two runs of one build give counts within about 1 % (Express's own inline-cache misses move the rest: hence CG_REPEAT)
  const secret = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
  const [n1, n2] = (process.env.CG_N ?? "1000,3000").split(",").map(Number);
  const warm = Number(process.env.CG_WARM ?? 6000);
  const thrashKB = Number(process.env.CG_THRASH_KB ?? 0);
  const scavengeEvery = Number(process.env.CG_SCAVENGE_EVERY ?? 0);
  const jobs = Number(process.env.CG_JOBS ?? 2);
  const top = Number(process.env.CG_TOP ?? 0);
  // CG_TRANSPORT=http: the server counted while a client outside valgrind sends it real requests over loopback
  const transport = process.env.CG_TRANSPORT === "http" ? "http" : "socketless";
  // CG_JS=1: callgrind instead of cachegrind (slower), so that CG_TOP names JS functions, not one "???" row
  const js = process.env.CG_JS === "1";
  const dir = process.env.CG_OUT_DIR ?? mkdtempSync(join(tmpdir(), "cachegrind-"));
  mkdirSync(dir, { recursive: true });
  const ours = { node: "node-receive", express: "express-gemini", koa: "koa-gemini" };
  const LABEL = { node: "node:http", express: "Express 5", koa: "Koa 3" };
  const frameworks = (process.env.CG_FRAMEWORKS ?? "node").split(",").filter(Boolean);
  const baselines = (process.env.CG_BASELINE ?? "").split(",").filter(Boolean);
  // per framework: bare, inline, ours, then the extra kinds and the other builds' ours
  const groups = frameworks.map((fw) => {
    const names = process.env.CG_KINDS && frameworks.length === 1 ? process.env.CG_KINDS.split(",") : [`${fw}-bare`, `${fw}-inline`, ours[fw]];
    const kinds = [...names, ...(process.env.CG_EXTRA ?? "").split(",").filter((k) => k.startsWith(`${fw}-`))]
      .filter(Boolean)
      .map((kind, i, all) => ({ kind, name: all.indexOf(kind) === i ? kind : `${kind}#${i}` }));
    for (const b of baselines) kinds.push({ kind: ours[fw], name: `${ours[fw]} (${b})`, packages: b });
    return { fw, kinds };
  });
  const total = warm + n2 + 10;
  // CG_REPEAT: every kind's pair of runs made that many times (in separate processes), the counts pooled
  const repeat = Math.max(1, Number(process.env.CG_REPEAT ?? 1));
  // CG_VARY=1: each repeat in a memory layout of its own (layoutFlags)
  const vary = process.env.CG_VARY === "1";
  const base = (k, r) => `${k.name.replaceAll(/[^\w.#-]+/g, "_")}${r > 0 ? `~${r}` : ""}`;
  const file = (k, n, r) => join(dir, `${base(k, r)}@${n}.cg`);

  console.log(`# cachegrind: request paths ${transport === "http" ? "served over loopback HTTP (the server process counted, one keep-alive connection, one request at a time)" : "without sockets"}, per request (runs of ${n1} and ${n2} requests after ${warm} warm-up requests; ${thrashKB ? `a ${thrashKB} KB walk before each request` : "warm caches"}${scavengeEvery ? `; a scavenge before every ${scavengeEvery}th request` : ""}${vary ? `; each repeat in its own memory layout (V8 seeds 1 – ${repeat}, environment padded)` : ""})`);
  const reps = Array.from({ length: repeat }, (_, r) => r);
  const queue = reps.flatMap((r) => groups.flatMap((g) => g.kinds.flatMap((k) => [n1, n2].map((n) => ({ k, n, r })))));
  async function worker() {
    for (let q = queue.shift(); q; q = queue.shift()) {
      // CG_REUSE=1 (with CG_OUT_DIR): only the analysis, over the runs already there
      if (process.env.CG_REUSE && existsSync(file(q.k, q.n, q.r))) continue;
      await measure({ kind: q.k.kind, packages: q.k.packages, secret, n: q.n, warm, total, thrashKB, transport, js, scavengeEvery, layout: vary ? q.r : 0 }, file(q.k, q.n, q.r));
    }
  }
  await Promise.all(Array.from({ length: jobs }, worker));

  for (const { fw, kinds } of groups) {
    // per kind, per repeat: the counts of one request; pooled: their sum over the repeats (n2 − n1 requests each)
    const byRep = kinds.map((k) => reps.map((r) => perFunction(file(k, n1, r), file(k, n2, r), dir, base(k, r), js)));
    const fns = byRep.map(pool);
    const per = fns.map((f) => summarise(f, repeat * (n2 - n1)));
    const added = (i) => cycles(per[i].mut) - cycles(per[0].mut);
    const addedIr = (i) => per[i].mut.ir - per[0].mut.ir;
    const rows = [["kind", "instructions", "L1 misses (i+d)", "L2 misses", "est. cycles", "added", "added ÷ inline's", "instructions added ÷ inline's", "GC instructions", "compiler instructions"]];
    kinds.forEach((k, i) => {
      const m = per[i].mut;
      rows.push([k.name, fmtNum(m.ir, 0), fmtNum(m.l1, 0), fmtNum(m.ll, 0), fmtNum(cycles(m), 0), i === 0 ? "" : fmtNum(added(i), 0), i === 0 ? "" : `${fmtNum(added(i) / added(1))}x`, i === 0 ? "" : `${fmtNum(addedIr(i) / addedIr(1))}x`, fmtNum(per[i].gc.ir, 0), fmtNum(per[i].compiler.ir, 0)]);
    });
    console.log(`\n## ${LABEL[fw]}${repeat > 1 ? ` (${repeat} repeats pooled)` : ""}`);
    printTable(rows);
    if (repeat > 1) {
      // each repeat on its own: how far one run's figure moves
      const one = byRep.map((reps1) => reps1.map((f) => summarise(f, n2 - n1).mut));
      for (const r of reps) {
        const add = (i) => cycles(one[i][r]) - cycles(one[0][r]);
        const addIr = (i) => one[i][r].ir - one[0][r].ir;
        const cells = kinds.slice(2).map((k, j) => `${k.name} ${fmtNum(add(j + 2) / add(1))}x (${fmtNum(addIr(j + 2) / addIr(1))}x)`);
        console.log(`repeat ${r + 1}: inline added ${fmtNum(add(1), 0)}; ${cells.join("; ")}`);
      }
    }
    if (top > 0 && kinds.length > 2) {
      // where the third kind (ours) differs most from the second (inline), by est. cycles per request
      const cost = (v) => (v ? (v[0] + 10 * (v[1] + v[3] + v[5]) + 40 * (v[2] + v[4] + v[6])) / (repeat * (n2 - n1)) : 0);
      const names = new Set([...fns[1].keys(), ...fns[2].keys()].filter((f) => !f.includes("PROGRAM TOTALS") && !isGC(f)));
      const d = [...names].map((f) => [cost(fns[2].get(f)) - cost(fns[1].get(f)), f]).sort((a, b) => b[0] - a[0]);
      console.log(`\n${kinds[2].name} − ${kinds[1].name}, est. cycles per request, by function:`);
      for (const [v, f] of [...d.slice(0, top), ...d.slice(-5)]) console.log(`${fmtNum(v, 0).padStart(8)}  ${f.slice(0, 150)}`);
    }
  }
  console.log(`\n(the request path only: the collector's and the optimizing compiler's functions are left out, their instructions shown apart, per request; est. cycles = instructions + 10 × L1 misses + 40 × L2 misses; files in ${dir})`);
}
