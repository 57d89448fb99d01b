// Compares two .cpuprofile files per request: self time by function in µs per request, side by side, with
// the difference (B − A), largest differences first. The request counts come from the server's exit line
// (bench/lib/server.mjs prints them when profiled).
//   node bench/lib/profile-diff.mjs A.cpuprofile requestsA B.cpuprofile requestsB [N]
import { readFileSync } from "node:fs";

const [fa, na, fb, nb, topArg] = process.argv.slice(2);
const top = Number(topArg ?? 40);
const shortUrl = (url) =>
  url.replace(/^.*node_modules\/\.pnpm\/([^/]+)\/.*$/, "$1").replace(/^.*\/packages\//, "packages/").replace(/^file:\/\//, "");

function perRequest(file, requests) {
  const prof = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const out = new Map();
  let busy = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const c = byId.get(prof.samples[i]).callFrame;
    if (c.functionName === "(idle)") continue;
    // chunk names differ between builds: key by function name and package file family
    const name = `${c.functionName || "(anonymous)"}  ${shortUrl(c.url).replace(/chunk-[A-Z0-9]+\.js/, "chunk")}`;
    const us = prof.timeDeltas[i] ?? 0;
    out.set(name, (out.get(name) ?? 0) + us / requests);
    busy += us / requests;
  }
  return { out, busy };
}

const a = perRequest(fa, Number(na));
const b = perRequest(fb, Number(nb));
console.log(`busy µs per request: A ${a.busy.toFixed(2)}, B ${b.busy.toFixed(2)}, B − A ${(b.busy - a.busy).toFixed(2)}`);
const names = new Set([...a.out.keys(), ...b.out.keys()]);
const rows = [...names].map((n) => [n, a.out.get(n) ?? 0, b.out.get(n) ?? 0]).sort((x, y) => Math.abs(y[2] - y[1]) - Math.abs(x[2] - x[1]));
console.log(`${"A µs".padStart(7)} ${"B µs".padStart(7)} ${"B − A".padStart(7)}  function`);
for (const [n, x, y] of rows.slice(0, top)) console.log(`${x.toFixed(2).padStart(7)} ${y.toFixed(2).padStart(7)} ${(y - x).toFixed(2).padStart(7)}  ${n}`);
