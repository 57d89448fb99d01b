// Summarises a .cpuprofile (from node --cpu-prof): self time by function and by file, top N.
//   node bench/lib/profile-summary.mjs <file.cpuprofile> [N]
import { readFileSync } from "node:fs";

const [file, topArg] = process.argv.slice(2);
const top = Number(topArg ?? 25);
const prof = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fn = new Map();
const files = new Map();
for (const [id, us] of self) {
  const { callFrame: c } = byId.get(id);
  const short = c.url.replace(/^.*node_modules\/\.pnpm\/([^/]+)\/.*$/, "$1").replace(/^.*\/packages\//, "packages/").replace(/^file:\/\//, "");
  const name = `${c.functionName || "(anonymous)"}  ${short}:${c.lineNumber + 1}`;
  fn.set(name, (fn.get(name) ?? 0) + us);
  files.set(short || "(native/gc)", (files.get(short || "(native/gc)") ?? 0) + us);
}
const show = (m, title) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
};
show(files, "self time by file");
show(fn, "self time by function");
