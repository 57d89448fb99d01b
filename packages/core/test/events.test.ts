import { describe, expect, it } from "vitest";
import { createGeminiWebhooks, GEMINI_EVENT_TYPES } from "@gemini-webhooks/core";
import { signStatic } from "@gemini-webhooks/testing";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NOW_S = 1_800_000_000;
let n = 0;
const post = (event: unknown) => ({ ...signStatic({ event, secret: SECRET, id: `msg_${++n}`, timestamp: NOW_S }), method: "POST" });

describe("the catalog drifts; the receiver keeps every documented variant", () => {
  it("video.generated reaches its typed handler in both shapes (file_id + video_uri, or id + output_file_uri + file_name)", async () => {
    const seen: unknown[] = [];
    const wh = createGeminiWebhooks({
      secret: SECRET,
      now: () => NOW_S * 1000,
      logger: false,
      on: { "video.generated": (e) => void seen.push([e.data.file_id, e.data.video_uri, e.data.id, e.data.output_file_uri, e.data.file_name]) },
    });
    expect((await wh.handle(post({ type: "video.generated", data: { file_id: "files/v1", video_uri: "https://v/1.mp4" } }))).body).toEqual({ status: "received" });
    expect((await wh.handle(post({ type: "video.generated", data: { id: "op1", output_file_uri: "gs://b/v.mp4", file_name: "files/v2" } }))).body).toEqual({ status: "received" });
    expect(seen).toEqual([
      ["files/v1", "https://v/1.mp4", undefined, undefined, undefined],
      [undefined, undefined, "op1", "gs://b/v.mp4", "files/v2"],
    ]);
  });

  it("batch.cancelled and interaction.cancelled, dropped from the SDK's enum on 2026-04-29, are still known, typed and dispatched", async () => {
    expect(GEMINI_EVENT_TYPES).toEqual(expect.arrayContaining(["batch.cancelled", "interaction.cancelled"]));
    const seen: string[] = [];
    const wh = createGeminiWebhooks({
      secret: SECRET,
      now: () => NOW_S * 1000,
      logger: false,
      on: { "batch.cancelled": (e) => void seen.push(e.data.id), "interaction.cancelled": (e) => void seen.push(e.data.id) },
    });
    await wh.handle(post({ type: "batch.cancelled", data: { id: "batches/b1" } }));
    await wh.handle(post({ type: "interaction.cancelled", data: { id: "interactions/i1" } }));
    expect(seen).toEqual(["batches/b1", "interactions/i1"]);
  });
});
