import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGeminiWebhooks } from "@gemini-webhooks/core";
import { fixture, signStatic } from "@gemini-webhooks/testing";
import { ADAPTERS, mount, type MountedApp } from "../support/apps.js";
import { row, send } from "../support/http.js";
import { recordingLogger } from "../support/logger.js";
import { SECRET } from "../support/receiver.js";

// Issue #12, case 8: a webhook-id that is not visible ASCII is 400 invalid_header. Header bytes arrive as
// latin1 while the signed string is UTF-8, so such an id could never verify; it is refused as malformed, before
// any signature work, and keys nothing.

const NOW_S = 1_800_000_000;
/** The header value whose bytes on the wire are the UTF-8 of `id` (what a sender of a UTF-8 id puts there). */
const wire = (id: string) => Buffer.from(id, "utf8").toString("latin1");

describe.each(ADAPTERS)("%s", (adapter) => {
  let app: MountedApp;
  let ran = 0;
  beforeAll(async () => {
    app = await mount(adapter, createGeminiWebhooks({ secret: SECRET, now: () => NOW_S * 1000, logger: recordingLogger(), on: { "*": () => void ran++ } }));
  });
  afterAll(() => app?.close());

  it("non-ASCII, spaces and tabs in webhook-id: 400 invalid_header, signed over that very id or not", async () => {
    for (const id of ["msg_ü", "msg_é", "msg_😀", "msg 1", "msg\t1"]) {
      const d = signStatic({ event: fixture("batch.succeeded"), secret: SECRET, id, timestamp: NOW_S });
      const a = await send(app.url, { ...d, headers: { ...d.headers, "webhook-id": wire(id) } });
      expect(row(a), JSON.stringify(id)).toEqual([400, "invalid_header"]);
      expect(a.body.error.message).toMatch(/webhook-id/);
      // the latin1 reading of the same bytes, signed as such: still not visible ASCII
      const l = signStatic({ event: fixture("batch.succeeded"), secret: SECRET, id: wire(id), timestamp: NOW_S });
      expect(row(await send(app.url, { ...l, headers: { ...l.headers, "webhook-id": wire(id) } }))).toEqual([400, "invalid_header"]);
    }
    expect(ran).toBe(0);
    expect(row(await send(app.url, signStatic({ event: fixture("batch.succeeded"), secret: SECRET, id: "msg_ascii~!", timestamp: NOW_S })))).toEqual([200, "received"]);
  });
});
