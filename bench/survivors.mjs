// What each request leaves to the garbage collector, per framework (node:http, Koa 3, Express 5): the bare app,
// the inline minimal receiver and ours (bench/lib/apps.mjs), each served by its own process over loopback
// HTTP, one request at a time on one keep-alive connection. V8's sampling heap profiler counts, per request,
// the bytes allocated, and the bytes a scavenge kept (copied, then promoted): what makes a scavenge cost
// what it does. Counted, not timed: independent of the host's load.
//   node bench/survivors.mjs        (after `pnpm build`)
// Env: SURV_FRAMEWORKS (express,koa,node), SURV_N (requests per sample, 20,000), SURV_WARM (3,000), SURV_TOP
// (the allocating functions of ours' packages to list, 8). What is still live when a sample stops counts as kept, spread
// over the sample's requests: keep SURV_N in the tens of thousands, or one-off objects (compiled code, a Map's growth) dominate.
import { randomBytes } from "node:crypto";
import { ask, startServer, stopServer } from "./lib/child.mjs";
import { fmtNum, machineLine, printTable, requireBuilt } from "./lib/common.mjs";
import { keepAliveClient } from "./lib/keepalive.mjs";
import { emit, figure } from "./lib/report.mjs";

requireBuilt("core");
const frameworks = (process.env.SURV_FRAMEWORKS ?? "express,koa,node").split(",").filter(Boolean);
const n = Number(process.env.SURV_N ?? 20_000);
const warm = Number(process.env.SURV_WARM ?? 3_000);
const top = Number(process.env.SURV_TOP ?? 8);
const secret = `whsec_${randomBytes(32).toString("base64")}`;
const KINDS = {
  node: ["node-bare", "node-inline", "node-receive"],
  koa: ["koa-bare", "koa-inline", "koa-gemini"],
  express: ["express-bare", "express-inline", "express-gemini"],
};
const LABEL = { node: "node:http", koa: "Koa 3", express: "Express 5" };

/** Per request: bytes allocated and bytes a scavenge kept, sampled over `n` requests each; ours' top sites. */
async function measure(kind) {
  const server = await startServer(kind, { BENCH_SECRET: secret });
  const client = await keepAliveClient(server.port, { secret, prefix: randomBytes(6).toString("hex") });
  try {
    await client.send(warm);
    const sample = async (survivors) => {
      const from = await ask(server, { sample: "start", survivors }, "sampling");
      await client.send(n);
      const { requests, sites } = await ask(server, "sample-stop", "sampled");
      if (requests - from !== n) throw new Error(`${kind}: ${requests - from} requests served, ${n} sent`);
      return { perRequest: sites.reduce((a, [, b]) => a + b, 0) / n, sites };
    };
    const allocated = await sample(false);
    const kept = await sample(true);
    const ours = (sites) => sites.filter(([where]) => where.includes("packages/")).slice(0, top);
    return { allocated: allocated.perRequest, kept: kept.perRequest, oursAllocated: ours(allocated.sites), oursKept: ours(kept.sites) };
  } finally {
    await client.close();
    await stopServer(server);
  }
}

console.log("# survivors: bytes per request allocated, and kept by a scavenge (V8's sampling heap profiler, every 256 bytes)");
console.log(machineLine());
console.log(`one keep-alive connection, one request at a time, 0.6 KB deliveries; ${warm} warm-up requests, then ${n} per sample\n`);
const figures = [];
for (const fw of frameworks) {
  const kinds = KINDS[fw];
  const r = [];
  for (const kind of kinds) r.push(await measure(kind));
  const kb = (b) => fmtNum(b / 1024, 2);
  const rows = [["kind", "allocated KB/req", "added", "kept by a scavenge KB/req", "added"]];
  kinds.forEach((kind, i) => rows.push([kind, kb(r[i].allocated), i ? kb(r[i].allocated - r[0].allocated) : "", kb(r[i].kept), i ? kb(r[i].kept - r[0].kept) : ""]));
  console.log(`## ${LABEL[fw]}`);
  printTable(rows);
  const allocRatio = (r[2].allocated - r[0].allocated) / (r[1].allocated - r[0].allocated);
  const keptAdded = { inline: r[1].kept - r[0].kept, ours: r[2].kept - r[0].kept };
  console.log(`ours added ÷ inline added: allocated ${fmtNum(allocRatio)}x; kept by a scavenge: ours ${fmtNum(keptAdded.ours, 0)} B, inline ${fmtNum(keptAdded.inline, 0)} B of the bare app's ${fmtNum(r[0].kept, 0)} B`);
  console.log(`${kinds[2]}'s allocating functions in our packages, B/req: ${r[2].oursAllocated.map(([w, b]) => `${w} ${fmtNum(b / n, 0)}`).join("; ")}`);
  if (r[2].oursKept.length) console.log(`  of which kept by a scavenge: ${r[2].oursKept.map(([w, b]) => `${w} ${fmtNum(b / n, 0)}`).join("; ")}`);
  console.log("");
  figures.push(
    figure(`${LABEL[fw]}: bytes allocated per request, ours added ÷ inline added`, Number(allocRatio.toFixed(2)), "x"),
    figure(`${LABEL[fw]}: bytes a scavenge keeps per request, the bare app`, Math.round(r[0].kept), "B"),
    figure(`${LABEL[fw]}: bytes a scavenge keeps per request, added by inline`, Math.round(keptAdded.inline), "B"),
    figure(`${LABEL[fw]}: bytes a scavenge keeps per request, added by ours`, Math.round(keptAdded.ours), "B"),
  );
}
emit("survivors.mjs", figures);
