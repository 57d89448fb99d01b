import { describe, expect, it } from "vitest";
import { createGeminiWebhooks } from "@gemini-webhooks/core";
import { fixtures, generateSecret, signStatic } from "@gemini-webhooks/testing";

describe("smoke", () => {
  it("verifies and dispatches a v1 delivery", async () => {
    const secret = generateSecret();
    const seen: string[] = [];
    const wh = createGeminiWebhooks({ secret, on: { "batch.failed": (e) => void seen.push(e.data.error_code) } });
    const d = signStatic({ event: fixtures["batch.failed"], secret });
    const r = await wh.handle({ ...d, method: "POST" });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: "received" });
    expect(seen).toEqual(["INVALID_ARGUMENT"]);
    const again = await wh.handle({ ...d, method: "POST" });
    expect(again.body).toEqual({ status: "duplicate" });
  });
});
