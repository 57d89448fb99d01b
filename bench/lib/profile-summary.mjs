// Summarises a .cpuprofile (from node --cpu-prof): self time by file and by function, and total (inclusive)
// time of our packages' functions, as a share of the busy time (idle left out), top N.
//   node bench/lib/profile-summary.mjs <file.cpuprofile> [N]
import { readFileSync } from "node:fs";

const [file, topArg] = process.argv.slice(2);
const top = Number(topArg ?? 25);
const prof = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map();
const dt = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));
const isIdle = (id) => byId.get(id).callFrame.functionName === "(idle)";
const busy = [...self].filter(([id]) => !isIdle(id)).reduce((a, [, us]) => a + us, 0);
const shortUrl = (url) =>
  url.replace(/^.*node_modules\/\.pnpm\/([^/]+)\/.*$/, "$1").replace(/^.*\/packages\//, "packages/").replace(/^file:\/\//, "");
const label = (c) => `${c.functionName || "(anonymous)"}  ${shortUrl(c.url)}:${c.lineNumber + 1}`;
const fn = new Map();
const files = new Map();
const inclusive = new Map();
for (const [id, us] of self) {
  if (isIdle(id)) continue;
  const { callFrame: c } = byId.get(id);
  const short = shortUrl(c.url);
  fn.set(label(c), (fn.get(label(c)) ?? 0) + us);
  files.set(short || "(native/gc)", (files.get(short || "(native/gc)") ?? 0) + us);
  // every distinct function on the stack gets the sample once
  const seen = new Set();
  for (let p = id; p !== undefined; p = parent.get(p)) {
    const name = label(byId.get(p).callFrame);
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + us);
  }
}
const show = (m, title, filter = () => true) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...m].filter(([k]) => filter(k)).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`);
};
console.log(`busy ${(busy / 1e6).toFixed(2)} s (idle left out); shares are of the busy time`);
show(files, "self time by file");
show(fn, "self time by function");
show(inclusive, "total time (self + callees) of our packages' functions", (k) => k.includes("packages/"));
