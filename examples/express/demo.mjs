#!/usr/bin/env node
// `pnpm demo`: starts the Express example app on 127.0.0.1 and delivers real signed webhooks to it, the way
// Gemini would: one of every event type, then a forged one, a tampered one, a replayed (stale) one, a
// duplicate, and one whose handler fails and then succeeds on retry. Prints a table; exits 0 when every row
// behaved as it should.
import { once } from "node:events";
import { generateKeyPairSync } from "node:crypto";
import { allFixtures, createTestIssuer, fixture, generateSecret, signStatic, signV1a } from "@gemini-webhooks/testing";
import { createApp } from "./app.mjs";

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, s) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);

const secret = generateSecret();
const effects = new Map(); // ctx.webhookId -> how many times a handler ran to completion
let last; // the ctx of the last handler run
let flakyFailures = 0;

// Dynamic webhooks: a local stand-in for Google's JWKS (Ed25519 + RS256 keys on 127.0.0.1).
const issuer = await createTestIssuer();
const app = createApp({
  secret,
  jwks: issuer.jwksOptions(),
  logger: false, // the demo fails a handler on purpose; a real app keeps the default (console, level warn)
  on: {
    "*": (event, ctx) => {
      if (event.data?.id === "batches/flaky" && flakyFailures++ === 0) throw new Error("database briefly unavailable");
      effects.set(ctx.webhookId, (effects.get(ctx.webhookId) ?? 0) + 1);
      last = ctx;
    },
  },
});
const server = app.listen(0, "127.0.0.1");
await once(server, "listening");
const url = `http://127.0.0.1:${server.address().port}/gemini-callback`;

async function deliver(d) {
  const res = await fetch(url, { method: "POST", headers: d.headers, body: d.body });
  const json = await res.json();
  return { status: res.status, json };
}
const describeAnswer = ({ status, json }) => `${status} ${json.status ?? json.error?.code}`;

const rows = [];
async function row(name, d, expected, check = () => true) {
  const got = await deliver(d);
  const ok = describeAnswer(got) === expected && check();
  rows.push({ name, expected, got: describeAnswer(got), ok });
  return got;
}

const now = () => Math.floor(Date.now() / 1000);
const first = signStatic({ event: allFixtures()[0], secret });
for (const [i, event] of allFixtures().entries()) {
  const d = i === 0 ? first : signStatic({ event, secret });
  await row(`${event.type}`, d, "200 received", () => effects.get(d.headers["webhook-id"]) === 1);
}
const forger = generateSecret();
await row("forged (signed with another secret)", signStatic({ event: fixture("batch.succeeded"), secret: forger }), "400 signature_mismatch");
const tampered = signStatic({ event: fixture("batch.succeeded"), secret });
await row("tampered body (URI swapped after signing)", { ...tampered, body: tampered.body.replace("gs://my-bucket", "gs://evil-bucket") }, "400 signature_mismatch");
await row("replayed 10 minutes later (stale timestamp)", signStatic({ event: fixture("batch.succeeded"), secret, timestamp: now() - 600 }), "400 timestamp_too_old");
await row("duplicate of the first delivery", first, "200 duplicate", () => effects.get(first.headers["webhook-id"]) === 1);
const flaky = signStatic({ event: fixture("batch.failed", { id: "batches/flaky" }), secret });
await row("handler throws (attempt 1)", flaky, "500 handler_failed", () => !effects.has(flaky.headers["webhook-id"]));
const retry = signStatic({ event: JSON.parse(flaky.body), secret, id: flaky.headers["webhook-id"] });
await row("…Gemini retries (attempt 2)", retry, "200 received", () => effects.get(flaky.headers["webhook-id"]) === 1);


// Dynamic webhooks on the same endpoint: v1a (Ed25519, as delivered) and JWT (RS256, as documented).
const v1a = issuer.signV1a({ event: fixture("batch.succeeded", { id: "batches/dynamic-v1a" }) });
await row("dynamic: v1a (Ed25519, JWKS)", v1a, "200 received", () => effects.get(v1a.headers["webhook-id"]) === 1);
const jwtHash = issuer.signJwt({ event: fixture("video.generated") });
// a JWT delivery's id is its jti, else the hash of the token's signing input (never the unsigned webhook-id header)
const ranOnceAsJwt = () => last?.scheme === "jwt" && effects.get(last.webhookId) === 1;
await row("dynamic: JWT, body bound by body_sha256", jwtHash, "200 received", ranOnceAsJwt);
const jwtClaims = issuer.signJwt({ event: fixture("interaction.completed"), bindBody: "claims", body: "" });
await row("dynamic: JWT, event in the claims", jwtClaims, "200 received", ranOnceAsJwt);
await row("dynamic: the same JWT resent with a new webhook-id", { ...jwtClaims, headers: { ...jwtClaims.headers, "webhook-id": "msg_fresh" } }, "200 duplicate");
const rogue = generateKeyPairSync("ed25519").privateKey;
await row("dynamic: v1a signed by a rogue key", signV1a({ event: fixture("batch.succeeded"), privateKey: rogue }), "400 signature_mismatch");
await row("dynamic: JWT with alg none", issuer.signJwt({ event: fixture("batch.succeeded"), unsigned: true }), "400 invalid_jwt");
const jwtTampered = issuer.signJwt({ event: fixture("batch.succeeded") });
await row("dynamic: JWT, body swapped after signing", { ...jwtTampered, body: jwtTampered.body.replace("gs://my-bucket", "gs://evil-bucket") }, "400 body_mismatch");
const coldIssuer = await createTestIssuer();
// every JWKS fetch attempt starts the cooldown (an outage is never amplified): Gemini's retry comes after it
const coldApp = createApp({ jwks: coldIssuer.jwksOptions({ cooldownMs: 300 }), on: { "*": () => {} }, logger: false }).listen(0, "127.0.0.1");
await once(coldApp, "listening");
coldIssuer.failNext("500");
const cold = coldIssuer.signV1a({ event: fixture("batch.succeeded") });
const coldUrl = `http://127.0.0.1:${coldApp.address().port}/gemini-callback`;
for (const [name, expected] of [["dynamic: JWKS down (fresh receiver)", "503 keys_unavailable"], ["…JWKS back, Gemini retries later", "200 received"]]) {
  if (name.startsWith("…")) await new Promise((r) => setTimeout(r, 400)); // Gemini's backoff, past the cooldown
  const res = await fetch(coldUrl, { method: "POST", headers: cold.headers, body: cold.body });
  const got = describeAnswer({ status: res.status, json: await res.json() });
  rows.push({ name, expected, got, ok: got === expected });
}
coldApp.close();
await coldIssuer.close();
await issuer.close();

// After the event: two deliveries lost past Gemini's retries, recovered by reconciliation (examples/genai)
const { runGenaiDemo } = await import("../genai/demo.mjs");
for (const r of (await runGenaiDemo({ print: false })).rows) rows.push({ ...r, name: `after: ${r.name}` });

server.close();

const w = [Math.max(...rows.map((r) => r.name.length)), 22, 22];
const line = (a, b, c, d) => `${a.padEnd(w[0])}  ${b.padEnd(w[1])}  ${c.padEnd(w[2])}  ${d}`;
console.log(`\nGemini webhooks demo: Express app at ${url}\n`);
console.log(paint(1, line("delivery", "expected", "got", "")));
for (const r of rows) console.log(line(r.name, r.expected, r.got, r.ok ? paint(32, "ok") : paint(31, "WRONG")));
const bad = rows.filter((r) => !r.ok).length;
console.log(bad === 0 ? `\nEvery one of the ${rows.length} deliveries behaved as it should.` : `\n${bad} of ${rows.length} deliveries did NOT behave as they should.`);
process.exit(bad === 0 ? 0 : 1);
