// A receiver in its own process, for the HTTP and soak benchmarks (the load generator runs in the parent).
//   node bench/lib/server.mjs <kind>     kinds: see bench/lib/apps.mjs
// Env: BENCH_SECRET (the whsec_ secret), BENCH_PACKAGES (another checkout's packages/ dir: use its build), BENCH_MAX_ENTRIES (memoryStore size, default 2,000,000; "default" = core's
// default; "off" = no store), BENCH_TRACK_IDS=1 (count handler runs per webhook-id, for the soak).
// Talks over IPC: sends { port } once listening; answers "stats" with handler counts and memory.
import http from "node:http";
import { Session } from "node:inspector/promises";
import { benchApps } from "./apps.mjs";

const kind = process.argv[2];
const secret = process.env.BENCH_SECRET;

// What the no-op handler saw: how often it ran, and ids it ran for more than once or that should never pass.
const stats = { requests: 0, handled: 0, repeats: 0, forbidden: 0 };
const seen = process.env.BENCH_TRACK_IDS === "1" ? new Set() : undefined;

function noop(_event, ctx) {
  stats.handled++;
  if (seen) {
    if (seen.has(ctx.webhookId)) stats.repeats++;
    else seen.add(ctx.webhookId);
    // the soak marks forged and stale deliveries' ids: their handler must never run
    if (ctx.webhookId.startsWith("forged_") || ctx.webhookId.startsWith("stale_")) stats.forbidden++;
  }
}

const APPS = benchApps({ secret, packages: process.env.BENCH_PACKAGES, maxEntries: process.env.BENCH_MAX_ENTRIES, onHandled: noop });

if (!APPS[kind]) {
  console.error(`unknown server kind ${kind}; one of ${Object.keys(APPS).join(", ")}`);
  process.exit(2);
}
const server = http.createServer(await APPS[kind]());
server.keepAliveTimeout = 60_000;
server.on("request", () => stats.requests++);
server.listen(0, "127.0.0.1", () => process.send({ port: server.address().port }));
let sampling;
process.on("message", async (m) => {
  if (m === "stats") {
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    process.send({ stats: { ...stats, rss: mem.rss, heapUsed: mem.heapUsed, cpuMicros: cpu.user + cpu.system, userMicros: cpu.user } });
  } else if (m === "gc") {
    globalThis.gc?.();
    process.send({ gc: true });
  } else if (m?.sample === "start") {
    // V8's sampling heap profiler (bench/survivors.mjs): with `survivors`, only objects a scavenge kept (collected
    // by a mark-compact, or still live when sampling stops); otherwise every allocation
    sampling = new Session();
    sampling.connect();
    await sampling.post("HeapProfiler.startSampling", { samplingInterval: m.interval ?? 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !m.survivors });
    process.send({ sampling: stats.requests });
  } else if (m === "sample-stop") {
    const { profile } = await sampling.post("HeapProfiler.stopSampling");
    sampling.disconnect();
    process.send({ sampled: { requests: stats.requests, sites: sampledSites(profile) } });
  } else if (m === "exit") {
    // with --cpu-prof: how many requests the profile covers (to turn its times into µs per request)
    if (process.execArgv.includes("--cpu-prof")) console.error(`[server ${kind}${process.env.BENCH_PACKAGES ? " (baseline)" : ""} pid ${process.pid}: ${stats.requests} requests]`);
    server.close();
    server.closeAllConnections?.();
    process.exit(0);
  }
});
process.on("disconnect", () => process.exit(0));

/** A sampling heap profile as bytes per allocating function ("name file:line"), largest first. */
function sampledSites(profile) {
  const bytes = new Map();
  const walk = (node) => {
    if (node.selfSize > 0) {
      const f = node.callFrame;
      const where = `${f.functionName || "(anonymous)"} ${f.url.replace(/^.*\/node_modules\//, "").replace(/^.*\/packages\//, "packages/")}:${f.lineNumber + 1}`;
      bytes.set(where, (bytes.get(where) ?? 0) + node.selfSize);
    }
    for (const c of node.children) walk(c);
  };
  walk(profile.head);
  return [...bytes].sort((a, b) => b[1] - a[1]);
}
