#!/usr/bin/env node
// `node examples/koa/demo.mjs`: starts the Koa example app on 127.0.0.1 and delivers real signed webhooks to it the
// way Gemini would (a new one, its duplicate, a forged one, a stale one, one whose handler fails and then succeeds
// on retry). Prints a table; exits 0 when every row behaved as it should.
import { once } from "node:events";
import { fixture, generateSecret, signStatic } from "@gemini-webhooks/testing";
import { createApp } from "./app.mjs";

const secret = generateSecret();
let flakyFailures = 0;
const app = createApp({
  secret,
  on: {
    "*": (event) => {
      if (event.data?.id === "batches/flaky" && flakyFailures++ === 0) throw new Error("database briefly unavailable");
    },
  },
});
const server = app.listen(0, "127.0.0.1");
await once(server, "listening");
const url = `http://127.0.0.1:${server.address().port}/gemini-callback`;

const rows = [];
async function row(name, d, expected) {
  const res = await fetch(url, { method: "POST", headers: d.headers, body: d.body });
  const json = await res.json();
  const got = `${res.status} ${json.status ?? json.error?.code}`;
  rows.push({ name, expected, got, ok: got === expected });
}

const first = signStatic({ event: fixture("batch.succeeded"), secret });
await row("batch.succeeded", first, "200 received");
await row("duplicate of it", first, "200 duplicate");
await row("forged (another secret)", signStatic({ event: fixture("batch.succeeded"), secret: generateSecret() }), "400 signature_mismatch");
await row("replayed 10 minutes later", signStatic({ event: fixture("batch.succeeded"), secret, timestamp: Math.floor(Date.now() / 1000) - 600 }), "400 timestamp_too_old");
const flaky = signStatic({ event: fixture("batch.failed", { id: "batches/flaky" }), secret });
await row("handler throws (attempt 1)", flaky, "500 handler_failed");
await row("…Gemini retries (attempt 2)", signStatic({ event: JSON.parse(flaky.body), secret, id: flaky.headers["webhook-id"] }), "200 received");
server.close();

console.log(`\nGemini webhooks demo: Koa app at ${url}\n`);
for (const r of rows) console.log(`${r.name.padEnd(28)}  ${r.expected.padEnd(24)}  ${r.got.padEnd(24)}  ${r.ok ? "ok" : "WRONG"}`);
const bad = rows.filter((r) => !r.ok).length;
console.log(bad === 0 ? `\nEvery one of the ${rows.length} deliveries behaved as it should.` : `\n${bad} deliveries did NOT behave as they should.`);
process.exit(bad === 0 ? 0 : 1);
