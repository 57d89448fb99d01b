import { describe, expect, it } from "vitest";
import { createGeminiWebhooks, GEMINI_EVENT_TYPES } from "@gemini-webhooks/core";
import { allFixtures, fixture, fixtures, signStatic } from "@gemini-webhooks/testing";
import { mount } from "../support/apps.js";
import { deliver, outcome } from "../support/requests.js";

// DESIGN.md: the testing package exports signStatic and per-type event fixtures (README: fixture(type)).

describe("testing kit fixtures", () => {
  it("one fixture per catalog type, with the catalog's data fields; each is received by a real receiver", async () => {
    expect(Object.keys(fixtures).sort()).toEqual([...GEMINI_EVENT_TYPES].sort());
    expect(allFixtures().map((e) => e.type)).toEqual(Object.keys(fixtures));
    expect(Object.keys(fixture("batch.failed").data)).toEqual(expect.arrayContaining(["id", "error_code", "error_message"]));
    expect(Object.keys(fixture("video.generated").data)).toEqual(expect.arrayContaining(["file_id", "video_uri"]));
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const seen: string[] = [];
    const app = await mount("core-fetch", createGeminiWebhooks({ secret, logger: false, on: { "*": (e) => void seen.push(e.type) } }));
    try {
      for (const type of GEMINI_EVENT_TYPES) expect(outcome(await deliver(app.url, signStatic({ event: fixture(type), secret })))).toBe("received");
    } finally {
      await app.close();
    }
    expect(seen).toEqual([...GEMINI_EVENT_TYPES]);
  });

  it("fixture(type, data) overrides data fields on a fresh copy", () => {
    const f = fixture("batch.failed", { error_code: "INTERNAL" });
    expect(f.data.error_code).toBe("INTERNAL");
    expect(fixture("batch.failed").data.error_code).not.toBe("INTERNAL");
  });

  it("an unknown type is a clear error naming the types, not a TypeError from inside", () => {
    expect(() => fixture("batch.sucess" as "batch.succeeded")).toThrow(/no fixture for event type "batch\.sucess".*batch\.succeeded/);
    expect(() => fixture("toString" as "batch.succeeded")).toThrow(/no fixture/);
  });
});
