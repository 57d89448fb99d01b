// Cold start and size: what a serverless function, a Worker or an Edge route pays on every cold start.
//   node bench/cold-start.mjs            (COLD_RUNS=N fresh processes per candidate, default 15)
// 1. Import + first v1 verification, each in a fresh Node process, CPU time (user + system) from just before
//    the import() to the verified event, ours vs standardwebhooks'; candidates alternate, medians compared.
// 2. A Worker bundle of `createGeminiWebhooks({ secret }).fetch` (esbuild, minified, ESM, code splitting as
//    Workers and Vercel Edge load it): what a v1 receiver loads (the entry and the chunks it imports) and the dynamic chunk
//    (jose + the JWKS machinery, loaded on the first v1a/JWT delivery), each in bytes and gzipped.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { BENCH_DIR, machineLine, median, requireBuilt } from "./lib/common.mjs";
import { emit, figure } from "./lib/report.mjs";

requireBuilt("core");
const RUNS = Number(process.env.COLD_RUNS ?? 15);
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const work = mkdtempSync(join(tmpdir(), "gw-cold-"));

// Each script signs one delivery with node:crypto before the clock starts, then imports and verifies.
const sign = `
import { createHmac } from "node:crypto";
const secret = ${JSON.stringify(SECRET)};
const body = JSON.stringify({ type: "batch.succeeded", data: { id: "b1", output_file_uri: "gs://x" } });
const ts = String(Math.floor(Date.now() / 1000));
const sig = createHmac("sha256", Buffer.from(secret.slice(6), "base64")).update("msg_1." + ts + "." + body).digest("base64");
const headers = { "webhook-id": "msg_1", "webhook-timestamp": ts, "webhook-signature": "v1," + sig };
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const t0 = cpu(); const w0 = performance.now();
`;
const done = `
if (event.type !== "batch.succeeded") throw new Error("not verified");
process.stdout.write(JSON.stringify({ cpuMs: cpu() - t0, wallMs: performance.now() - w0 }));
`;
const scripts = {
  ours: `${sign}
const { createGeminiWebhooks } = await import("@gemini-webhooks/core");
const event = await createGeminiWebhooks({ secret, logger: false }).verify({ body, headers });
${done}`,
  standardwebhooks: `${sign}
const { Webhook } = await import("standardwebhooks");
const event = new Webhook(secret.slice(6)).verify(body, headers);
${done}`,
};
const files = {};
for (const [name, text] of Object.entries(scripts)) writeFileSync((files[name] = join(BENCH_DIR, `.cold-${name}.mjs`)), text);

console.log(machineLine());
const samples = { ours: [], standardwebhooks: [] };
try {
  for (let i = 0; i < RUNS + 2; i++) {
    for (const name of i % 2 ? ["ours", "standardwebhooks"] : ["standardwebhooks", "ours"]) {
      const r = JSON.parse(execFileSync(process.execPath, [files[name]], { cwd: BENCH_DIR, encoding: "utf8" }));
      if (i >= 2) samples[name].push(r); // the first two rounds warm the file cache
    }
  }
} finally {
  for (const f of Object.values(files)) rmSync(f, { force: true });
}
const med = (name, k) => median(samples[name].map((s) => s[k]));
console.log(`\nimport + first v1 verify, fresh process, median of ${RUNS} (CPU = user + system):`);
for (const name of ["ours", "standardwebhooks"]) console.log(`  ${name.padEnd(18)} CPU ${med(name, "cpuMs").toFixed(1)} ms   wall ${med(name, "wallMs").toFixed(1)} ms`);
const cpuRatio = med("ours", "cpuMs") / med("standardwebhooks", "cpuMs");
const wallRatio = med("ours", "wallMs") / med("standardwebhooks", "wallMs");
console.log(`  ratio ours / standardwebhooks: CPU ${cpuRatio.toFixed(2)}x, wall ${wallRatio.toFixed(2)}x (goal ≤ 2x)`);

// The Worker bundle.
const entry = join(work, "worker.mjs");
writeFileSync(entry, `import { createGeminiWebhooks } from "@gemini-webhooks/core";\nlet wh;\nexport default { fetch: (request, env) => (wh ??= createGeminiWebhooks({ secret: env.GEMINI_WEBHOOK_SECRET })).fetch(request) };\n`);
const outdir = join(work, "out");
const built = await build({
  entryPoints: [entry],
  bundle: true,
  minify: true,
  format: "esm",
  splitting: true,
  platform: "neutral",
  mainFields: ["module", "main"],
  conditions: ["workerd", "worker", "browser", "import"],
  outdir,
  nodePaths: [join(BENCH_DIR, "node_modules")],
  absWorkingDir: BENCH_DIR,
  logLevel: "error",
  metafile: true,
});
// What a v1 receiver loads: the entry and the chunks it imports statically; the rest loads on the first
// dynamic (v1a / JWT) delivery.
const outputs = built.metafile.outputs;
const nameOf = (path) => path.slice(path.lastIndexOf("/") + 1);
const entryPath = Object.keys(outputs).find((p) => nameOf(p) === "worker.js");
const loaded = new Set([entryPath, ...outputs[entryPath].imports.filter((i) => i.kind === "import-statement").map((i) => i.path)]);
const sizes = readdirSync(outdir).map((f) => {
  const bytes = readFileSync(join(outdir, f));
  const atStart = [...loaded].some((p) => nameOf(p) === f);
  return { file: f, atStart, kb: statSync(join(outdir, f)).size / 1024, gz: gzipSync(bytes).length / 1024, jose: bytes.includes("jwtVerify") || bytes.includes("JWSSignatureVerificationFailed") };
});
const start = sizes.filter((s) => s.atStart);
const rest = sizes.filter((s) => !s.atStart);
const main = { kb: start.reduce((a, s) => a + s.kb, 0), gz: gzipSync(Buffer.concat(start.map((s) => readFileSync(join(outdir, s.file))))).length / 1024, jose: start.some((s) => s.jose) };
console.log(`\nWorker bundle of createGeminiWebhooks({ secret }).fetch (esbuild, minified, ESM, split):`);
for (const s of start) console.log(`  ${s.file.padEnd(34)} ${s.kb.toFixed(1)} KB (${s.gz.toFixed(1)} KB gzipped)${s.jose ? "  ← jose inside!" : ""}`);
console.log(`  what a v1 receiver loads           ${main.kb.toFixed(1)} KB (${main.gz.toFixed(1)} KB gzipped)${main.jose ? "  ← jose inside!" : ""}   goal ≤ 20 KB`);
for (const s of rest) console.log(`  ${s.file.padEnd(34)} ${s.kb.toFixed(1)} KB (${s.gz.toFixed(1)} KB gzipped)${s.jose ? "  (jose, JWKS: loaded on the first dynamic delivery)" : ""}`);
console.log(`  total                              ${sizes.reduce((a, s) => a + s.kb, 0).toFixed(1)} KB`);
rmSync(work, { recursive: true, force: true });

emit("cold-start.mjs", [
  figure("cold start: import + first v1 verify, CPU, ours / standardwebhooks", Number(cpuRatio.toFixed(2)), "x", "≤ 2x", cpuRatio <= 2, "node bench/cold-start.mjs"),
  figure("Worker bundle of createGeminiWebhooks({ secret }).fetch, what a v1 receiver loads (entry + its static chunks)", Number(main.kb.toFixed(1)), "KB", "≤ 20 KB", main.kb <= 20, "node bench/cold-start.mjs"),
  figure("Worker bundle, dynamic chunks (jose, JWKS)", Number(rest.reduce((a, s) => a + s.kb, 0).toFixed(1)), "KB"),
]);
