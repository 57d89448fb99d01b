import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGeminiWebhooks, type GeminiWebhooks } from "@gemini-webhooks/core";
import { signStatic } from "@gemini-webhooks/testing";
import { ADAPTERS, mount, type AdapterName, type MountedApp } from "../support/apps.js";
import { send } from "../support/http.js";
import { recordingLogger } from "../support/logger.js";

// README, Options: `maxBodyBytes` (default 1048576): "larger bodies get 413 body_too_large (adapters stop
// reading there)". A body of exactly maxBodyBytes is not larger: it is verified and received, on every
// adapter, whether its length is declared or it is streamed chunked; one byte more is 413.

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const LIMIT = 2048;

/** A signed delivery whose body is exactly `size` bytes (padding inside data). */
function ofSize(size: number, id: string) {
  const base = JSON.stringify({ type: "batch.succeeded", data: { id: "b", output_file_uri: "gs://x", pad: "" } });
  const body = base.replace('"pad":""', `"pad":"${"x".repeat(size - base.length)}"`);
  expect(Buffer.byteLength(body)).toBe(size);
  return signStatic({ body, secret: SECRET, id });
}

describe.each(ADAPTERS)("%s: the maxBodyBytes edge", (adapter: AdapterName) => {
  let app: MountedApp;
  let webhooks: GeminiWebhooks;
  beforeAll(async () => {
    webhooks = createGeminiWebhooks({ secret: SECRET, maxBodyBytes: LIMIT, logger: recordingLogger(), on: { "*": () => {} } });
    app = await mount(adapter, webhooks);
  });
  afterAll(() => app?.close());

  it("exactly maxBodyBytes is received (declared and chunked); one byte more is 413", async () => {
    const declared = await send(app.url, ofSize(LIMIT, `msg_eq_${adapter}`));
    expect([declared.status, declared.body?.status]).toEqual([200, "received"]);
    const chunked = await send(app.url, ofSize(LIMIT, `msg_eqc_${adapter}`), { chunked: true });
    expect([chunked.status, chunked.body?.status]).toEqual([200, "received"]);
    const over = await send(app.url, ofSize(LIMIT + 1, `msg_over_${adapter}`));
    expect([over.status, over.body?.error?.code]).toEqual([413, "body_too_large"]);
  });
});
