import { describe, expect, it } from "vitest";
import { memoryDeadLetters } from "@gemini-webhooks/core";

const entry = (id: string) => ({
  id,
  event: { type: "batch.failed", data: { id: "b1", error_code: "X", error_message: "y" } },
  ctx: { webhookId: id, timestamp: new Date(0).toISOString(), scheme: "v1" as const },
  error: { name: "Error", message: "boom" },
});

describe("memoryDeadLetters", () => {
  it("list() and get() hand out copies: editing one changes nothing kept", async () => {
    const dl = memoryDeadLetters();
    await dl.record(entry("k1"), 1);
    const [listed] = await dl.list();
    (listed!.event.data as Record<string, unknown>).id = "tampered";
    listed!.ctx.webhookId = "tampered";
    const got = await dl.get("k1");
    (got!.event.data as Record<string, unknown>).error_code = "tampered";
    const again = await dl.get("k1");
    expect(again!.event.data).toEqual({ id: "b1", error_code: "X", error_message: "y" });
    expect(again!.ctx.webhookId).toBe("k1");
  });

  it("a bad limit is refused (0, -1, 1.5), a good one bounds the list, newest first", async () => {
    const dl = memoryDeadLetters({ maxEntries: 50 });
    for (let i = 0; i < 50; i++) await dl.record(entry(`k${i}`), i);
    for (const limit of [0, -1, 1.5, Number.NaN]) expect(() => dl.list({ limit })).toThrow(RangeError);
    expect((await dl.list({ limit: 3 })).map((e) => e.id)).toEqual(["k49", "k48", "k47"]);
    expect(await dl.list()).toHaveLength(50);
    await dl.record(entry("k50"), 50);
    expect(await dl.list()).toHaveLength(50);
  });
});
