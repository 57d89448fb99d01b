import { describe, expect, it } from "vitest";
import { createGeminiWebhooks } from "@gemini-webhooks/core";
import { canonicalEventType, eventKey, jobIdOf, normalizeJobId } from "@gemini-webhooks/core/extend";
import { signStatic } from "@gemini-webhooks/testing";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NOW_S = 1_800_000_000;

describe("idempotency keys: one home for every format", () => {
  it("an alias type keys as its canonical type; job ids lose their resource prefix", () => {
    expect(canonicalEventType("batch.completed")).toBe("batch.succeeded");
    expect(canonicalEventType("batch.failed")).toBe("batch.failed");
    expect(eventKey("ns", "batch.completed", "batches/b1")).toBe(eventKey("ns", "batch.succeeded", "b1"));
    expect(normalizeJobId("interactions/i1")).toBe("i1");
    expect(jobIdOf({ data: { file_id: "files/f1" } })).toBe("f1");
    expect(jobIdOf({ data: {} })).toBeUndefined();
  });

  it('dedupeBy "event": batch.completed then batch.succeeded for one job run the handlers once', async () => {
    let runs = 0;
    const wh = createGeminiWebhooks({ secret: SECRET, now: () => NOW_S * 1000, dedupeBy: "event", logger: false, on: { "*": () => void runs++ } });
    const send = (type: string, id: string, job: string) =>
      wh.handle({ ...signStatic({ event: { type, data: { id: job, output_file_uri: "gs://x" } }, secret: SECRET, id, timestamp: NOW_S }), method: "POST" });
    expect((await send("batch.completed", "msg_a", "batches/job9")).body).toEqual({ status: "received" });
    expect((await send("batch.succeeded", "msg_b", "job9")).body).toEqual({ status: "duplicate" });
    const reconciled = await wh.process({ type: "batch.succeeded", data: { id: "batches/job9", output_file_uri: "gs://x" } }, { webhookId: "batches/job9", scheme: "reconcile" });
    expect(reconciled.body).toEqual({ status: "duplicate" });
    expect(runs).toBe(1);
  });
});
