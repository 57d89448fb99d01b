import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGeminiWebhooks } from "@gemini-webhooks/core";
import { fixture, signStatic } from "@gemini-webhooks/testing";
import { ADAPTERS, mount, type MountedApp } from "../support/apps.js";
import { row, send } from "../support/http.js";
import { recordingLogger } from "../support/logger.js";
import { SECRET } from "../support/receiver.js";

// Forged input must never produce a 5xx (DESIGN, "Exact rules"), whatever content-type it claims: the
// signature covers the bytes, not the media type. A request with no body and no content-type, or a
// text/plain one, is answered like any other delivery (verified, or a 4xx), never 500 configuration.

const NOW_S = 1_800_000_000;

describe.each(ADAPTERS)("%s", (adapter) => {
  let app: MountedApp;
  const logger = recordingLogger();
  beforeAll(async () => {
    app = await mount(adapter, createGeminiWebhooks({ secret: SECRET, now: () => NOW_S * 1000, logger, on: { "*": () => {} } }));
  });
  afterAll(() => app?.close());

  it("an empty POST without content-type, or with text/plain: 400, and nothing logged as a misconfiguration", async () => {
    const empty = await send(app.url, { body: "", headers: {} });
    expect(row(empty)).toEqual([400, "missing_header"]);
    const d = signStatic({ event: fixture("batch.succeeded"), secret: SECRET, timestamp: NOW_S, id: `msg_text_${adapter}` });
    const forged = await send(app.url, { body: d.body, headers: { ...d.headers, "content-type": "text/plain", "webhook-signature": "v1,AAAA" } });
    expect(row(forged)).toEqual([400, "signature_mismatch"]);
    expect(logger.at("error")).toEqual([]);
  });

  it("a genuine delivery sent as text/plain or without content-type is received (the bytes are signed, not the media type)", async () => {
    for (const type of ["text/plain", undefined]) {
      const d = signStatic({ event: fixture("batch.succeeded"), secret: SECRET, timestamp: NOW_S, id: `msg_${type ?? "none"}_${adapter}` });
      const { "content-type": _ct, ...rest } = d.headers;
      expect(row(await send(app.url, { body: d.body, headers: type ? { ...rest, "content-type": type } : rest }))).toEqual([200, "received"]);
    }
  });
});
