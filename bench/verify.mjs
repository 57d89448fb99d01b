// v1 verify, side by side: @gemini-webhooks/core against standardwebhooks, svix, openai's
// webhooks.unwrap, and the floor (node:crypto HMAC + JSON.parse), on 0.6 KB and 16 KB bodies.
// Every candidate verifies the signature, checks the timestamp and parses the JSON.
//   node bench/verify.mjs            (after `pnpm build`)
// Env: VERIFY_ROUND_MS (default 100), VERIFY_ROUNDS (default 20), VERIFY_BASELINE (another checkout's
// packages/ dir: its build's verify as one more candidate). About 35 s.
// Timed in this process's CPU time (see lib/common.mjs runFor); ratios are the median of per-round ratios.
import { createHmac, timingSafeEqual } from "node:crypto";
import { pathToFileURL } from "node:url";
import { compare, eventBody, fmtInt, fmtNum, machineLine, printTable, ratio, requireBuilt } from "./lib/common.mjs";
import { emit, figure } from "./lib/report.mjs";

requireBuilt("core");
requireBuilt("testing");
const { createGeminiWebhooks } = await import("@gemini-webhooks/core");
const { signStatic, generateSecret, secretBytes } = await import("@gemini-webhooks/testing");
const { Webhook: StandardWebhook } = await import("standardwebhooks");
const { Webhook: SvixWebhook } = await import("svix");
const { default: OpenAI } = await import("openai");

const roundMs = Number(process.env.VERIFY_ROUND_MS ?? 100);
const rounds = Number(process.env.VERIFY_ROUNDS ?? 20);
const COMMAND = "node bench/verify.mjs";

const secret = generateSecret(32);
const key = secretBytes(secret);
const ours = createGeminiWebhooks({ secret, idempotency: false });
// VERIFY_BASELINE=/other/checkout/packages: that build's verify as one more candidate (before/after in one run)
const baselineDir = process.env.VERIFY_BASELINE;
const baseline = baselineDir
  ? (await import(pathToFileURL(`${baselineDir}/core/dist/index.js`).href)).createGeminiWebhooks({ secret, idempotency: false })
  : undefined;
const standard = new StandardWebhook(secret);
const svix = new SvixWebhook(secret);
const openai = new OpenAI({ apiKey: "x", webhookSecret: secret });

/** The floor: what any correct v1 verify must do at least — one HMAC, one compare, one JSON.parse. */
function floorVerify(body, headers) {
  const id = headers["webhook-id"];
  const ts = headers["webhook-timestamp"];
  const sig = headers["webhook-signature"].slice(3);
  const expected = createHmac("sha256", key).update(`${id}.${ts}.`).update(body).digest("base64");
  if (expected.length !== sig.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(sig))) throw new Error("bad signature");
  return JSON.parse(body.toString("utf8"));
}

function candidates(bodyStr, bodyBuf, headers) {
  return [
    { name: "floor (node:crypto HMAC + JSON.parse)", async: false, fn: () => floorVerify(bodyBuf, headers) },
    { name: "@gemini-webhooks/core verify (Buffer)", async: true, fn: () => ours.verify({ body: bodyBuf, headers }) },
    { name: "@gemini-webhooks/core verify (string)", async: true, fn: () => ours.verify({ body: bodyStr, headers }) },
    ...(baseline ? [{ name: "baseline build verify (Buffer)", async: true, fn: () => baseline.verify({ body: bodyBuf, headers }) }] : []),
    { name: "standardwebhooks 1.1.1", async: false, fn: () => standard.verify(bodyStr, headers) },
    { name: "svix 1.99.1", async: false, fn: () => svix.verify(bodyStr, headers) },
    { name: "openai 6 webhooks.unwrap", async: true, fn: () => openai.webhooks.unwrap(bodyStr, headers) },
  ];
}

/** Each candidate must accept the good delivery and reject a tampered one before it is timed. */
async function sanity(list, tamperedStr, tamperedBuf, headers) {
  for (const c of list) {
    const ev = await c.fn();
    if (ev?.type !== "batch.succeeded") throw new Error(`${c.name}: did not return the event`);
  }
  const bad = [
    () => floorVerify(tamperedBuf, headers),
    () => ours.verify({ body: tamperedBuf, headers }),
    () => standard.verify(tamperedStr, headers),
    () => svix.verify(tamperedStr, headers),
    () => openai.webhooks.unwrap(tamperedStr, headers),
  ];
  for (const [i, f] of bad.entries()) {
    let threw = false;
    try {
      await f();
    } catch {
      threw = true;
    }
    if (!threw) throw new Error(`candidate ${i} accepted a tampered body`);
  }
}

console.log("# verify: v1 (HMAC-SHA256) verify + timestamp check + JSON.parse, ops per CPU-second (median of rounds)");
console.log(machineLine());
console.log(`rounds: ${rounds} × ${roundMs} ms of CPU per candidate, interleaved, after a warm-up; ratios: median of per-round ratios\n`);

const figures = [];
for (const size of [600, 16 * 1024]) {
  const bodyStr = eventBody(size);
  const bodyBuf = Buffer.from(bodyStr);
  const { headers } = signStatic({ secret, body: bodyStr });
  const h = { ...headers, host: "127.0.0.1", "content-length": String(bodyBuf.length) };
  const list = candidates(bodyStr, bodyBuf, h);
  const tamperedStr = bodyStr.replace("batch_123456", "batch_123457");
  await sanity(list, tamperedStr, Buffer.from(tamperedStr), h);

  const results = await compare(list, { roundMs, rounds });
  const by = Object.fromEntries(results.map((r) => [r.name, r]));
  const floorR = by["floor (node:crypto HMAC + JSON.parse)"];
  const oursR = by["@gemini-webhooks/core verify (Buffer)"];
  const floor = floorR.opsPerSec;
  const oursOps = oursR.opsPerSec;
  const label = size === 600 ? "0.6 KB" : "16 KB";
  console.log(`## body ${label} (${bodyBuf.length} bytes)`);
  printTable([
    ["candidate", "ops/s", "µs/op", "min..max ops/s", "ours ×faster", "time vs floor"],
    ...results.map((r) => [
      r.name,
      fmtInt(r.opsPerSec),
      fmtNum(1e6 / r.opsPerSec, 2),
      `${fmtInt(r.min)}..${fmtInt(r.max)}`,
      fmtNum(ratio(oursR, r), 2) + "x",
      fmtNum(ratio(floorR, r), 2) + "x",
    ]),
  ]);
  const vsStandard = ratio(oursR, by["standardwebhooks 1.1.1"]);
  const vsFloor = ratio(floorR, oursR);
  const floorVsStandard = ratio(floorR, by["standardwebhooks 1.1.1"]);
  console.log(
    `ours vs standardwebhooks: ${fmtNum(vsStandard)}x faster (goal ≥ 3x: ${vsStandard >= 3 ? "met" : "NOT met"}); ` +
      `ours vs floor: ${fmtNum(vsFloor)}x the floor's time (goal ≤ 1.25x, issue #16: ${vsFloor <= 1.25 ? "met" : "NOT met"}); ` +
      `the floor itself is ${fmtNum(floorVsStandard)}x faster than standardwebhooks, so 3x needs ours within ${fmtNum(floorVsStandard / 3)}x of the floor\n`,
  );
  figures.push(
    figure(`verify ${label}: ours ops/s`, Math.round(oursOps), "ops/s", "", null, COMMAND),
    figure(`verify ${label}: floor ops/s`, Math.round(floor), "ops/s", "", null, COMMAND),
    figure(`verify ${label}: standardwebhooks ops/s`, Math.round(by["standardwebhooks 1.1.1"].opsPerSec), "ops/s", "", null, COMMAND),
    figure(`verify ${label}: svix ops/s`, Math.round(by["svix 1.99.1"].opsPerSec), "ops/s", "", null, COMMAND),
    figure(`verify ${label}: openai unwrap ops/s`, Math.round(by["openai 6 webhooks.unwrap"].opsPerSec), "ops/s", "", null, COMMAND),
    figure(`verify ${label}: floor ÷ standardwebhooks (reference)`, +floorVsStandard.toFixed(2), "x faster", "", null, COMMAND),
    figure(`verify ${label}: ours ÷ standardwebhooks`, +vsStandard.toFixed(2), "x faster", "≥ 3x", vsStandard >= 3, COMMAND),
    figure(`verify ${label}: ours time ÷ floor time`, +vsFloor.toFixed(2), "x", "≤ 1.25x", vsFloor <= 1.25, COMMAND),
  );
}
// The rest of the pipeline, on the 0.6 KB body: handle() = verify + claim + dispatch to a no-op handler +
// complete + the JSON answer. Without a store here (the same delivery is handled again and again); the
// memoryStore's own cost per delivery is in bench/memory.mjs.
{
  const bodyBuf = Buffer.from(eventBody(600));
  const { headers } = signStatic({ secret, body: bodyBuf });
  let ran = 0;
  const pipeline = createGeminiWebhooks({ secret, idempotency: false, on: { "batch.succeeded": () => void ran++ } });
  const list = [
    { name: "floor (node:crypto HMAC + JSON.parse)", async: false, fn: () => floorVerify(bodyBuf, headers) },
    { name: "verify()", async: true, fn: () => ours.verify({ body: bodyBuf, headers }) },
    { name: "handle(), no store, no-op handler", async: true, fn: () => pipeline.handle({ body: bodyBuf, headers, method: "POST" }) },
  ];
  const r = await pipeline.handle({ body: bodyBuf, headers, method: "POST" });
  if (r.status !== 200 || r.body.status !== "received" || ran !== 1) throw new Error(`handle() answered ${r.status} ${JSON.stringify(r.body)}`);
  const results = await compare(list, { roundMs, rounds });
  console.log("## the pipeline on the 0.6 KB body");
  printTable([
    ["step", "ops/s", "µs/op", "time vs floor"],
    ...results.map((x) => [x.name, fmtInt(x.opsPerSec), fmtNum(1e6 / x.opsPerSec, 2), fmtNum(ratio(results[0], x), 2) + "x"]),
  ]);
  figures.push(figure("handle() 0.6 KB, no store: µs per delivery", +(1e6 / results[2].opsPerSec).toFixed(2), "µs", "", null, COMMAND));
}
emit("verify", figures);
