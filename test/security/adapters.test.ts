import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGeminiWebhooks, type GeminiWebhooks } from "@gemini-webhooks/core";
import { ADAPTERS, mount, NODE_ADAPTERS, type AdapterName, type MountedApp } from "../support/apps.js";
import { dripPost, row, send } from "../support/http.js";
import { recordingLogger } from "../support/logger.js";
import { clock, SECRET, signed } from "../support/receiver.js";

// The behaviours every adapter shares through core's adapter seam, over real HTTP on each framework:
// 413 (declared and streamed), 408 for a body that never finishes arriving, 405, and a body parser that got
// there first (500 configuration naming the fix).

const READ_TIMEOUT_MS = 300;
const big = () => signed({ type: "batch.succeeded", data: { id: "x".repeat(8 * 1024), output_file_uri: "gs://x" } }, { id: "msg_big" });

describe.each(ADAPTERS)("%s: shared behaviours", (adapter: AdapterName) => {
  let app: MountedApp;
  let webhooks: GeminiWebhooks;
  const runs: string[] = [];
  beforeAll(async () => {
    webhooks = createGeminiWebhooks({
      secret: SECRET,
      now: clock(),
      maxBodyBytes: 1024,
      readTimeoutMs: READ_TIMEOUT_MS,
      logger: recordingLogger(),
      on: { "*": (e, ctx) => void runs.push(ctx.webhookId) },
    });
    app = await mount(adapter, webhooks);
  });
  afterAll(() => app?.close());

  it("a genuine delivery is received", async () => {
    expect(row(await send(app.url, signed(undefined, { id: `msg_ok_${adapter}` })))).toEqual([200, "received"]);
  });

  it("413 body_too_large: declared by content-length, and streamed chunked without one", async () => {
    const declared = await send(app.url, big());
    expect(row(declared)).toEqual([413, "body_too_large"]);
    const streamed = await send(app.url, big(), { chunked: true });
    expect(row(streamed)).toEqual([413, "body_too_large"]);
    expect(runs).not.toContain("msg_big");
  });

  it(`408 body_timeout for a body dripping slower than readTimeoutMs (${READ_TIMEOUT_MS} ms)`, async () => {
    const a = await dripPost(app.url, signed(undefined, { id: `msg_drip_${adapter}` }), { intervalMs: 20 });
    // dripPost never sends the last byte: only the receiver's read timeout can end this request
    expect(row(a)).toEqual([408, "body_timeout"]);
    expect(a.body.error.message).toMatch(/readTimeoutMs/);
    expect(runs).not.toContain(`msg_drip_${adapter}`);
  });

  it("405 method_not_allowed with Allow: POST", async () => {
    const a = await send(app.url, { body: "", headers: {} }, { method: "GET" });
    expect([...row(a), a.headers.allow]).toEqual([405, "method_not_allowed", "POST"]);
  });
});

describe.each(NODE_ADAPTERS)("%s: a body parser in front of the receiver", (adapter) => {
  it("500 configuration naming the fix, and no handler runs", async () => {
    let ran = 0;
    const webhooks = createGeminiWebhooks({ secret: SECRET, now: clock(), logger: recordingLogger(), on: { "*": () => void ran++ } });
    const app = await mount(adapter, webhooks, { parserFirst: true });
    try {
      const a = await send(app.url, signed(undefined, { id: "msg_parsed" }));
      expect(row(a)).toEqual([500, "configuration"]);
      const fix = { express: /express\.json/, koa: /body parser/, "next-pages": /bodyParser: false/, nestjs: /rawBody: true/, fastify: /onRequest\/preParsing hook/ }[adapter];
      expect(a.body.error.message).toMatch(fix);
      expect(ran).toBe(0);
    } finally {
      await app.close();
    }
  });
});
