// postgresDeadLetters against a real PostgreSQL: core's DeadLetterStore contract, bounded, corrupt rows skipped.
import { expect, it } from "vitest";
import { GeminiWebhooksConfigError, type DeadLetterInput } from "@gemini-webhooks/core";
import { postgresDeadLetters } from "@gemini-webhooks/postgres";
import { describePostgres, usePostgres } from "../../../test/support/postgres.js";

const entry = (id: string, message = "boom"): DeadLetterInput => ({
  id,
  event: { type: "batch.failed", version: "v1", timestamp: "2026-01-22T12:00:00Z", data: { id: "b1", error_code: "X", error_message: "y" } } as DeadLetterInput["event"],
  ctx: { webhookId: id.replace(/^gemini:/, ""), timestamp: "2026-01-22T12:00:00.000Z", scheme: "v1", secretIndex: 0 },
  error: { name: "Error", message, code: "handler_failed" },
});

describePostgres("postgresDeadLetters", () => {
  const db = usePostgres();

  it("a hostile schema or a bad maxEntries throws synchronously", () => {
    expect(() => postgresDeadLetters({ pool: db.pool, schema: "x; DROP SCHEMA public" })).toThrow(GeminiWebhooksConfigError);
    expect(() => postgresDeadLetters({ pool: db.pool, maxEntries: 0 })).toThrow(/maxEntries/);
  });

  it("record upserts (attempts, first/last seen in any order), get, list newest first, remove", async () => {
    const d = postgresDeadLetters({ pool: db.pool, schema: "dl_basic" });
    await d.record(entry("gemini:a", "first"), 1000);
    await d.record(entry("gemini:b"), 2000);
    await d.record(entry("gemini:a", "second"), 3000);
    await d.record(entry("gemini:a", "late write"), 500); // an older failure landing last
    const a = await d.get("gemini:a");
    expect(a).toMatchObject({ id: "gemini:a", attempts: 3, firstSeen: 500, lastSeen: 3000, error: { message: "late write" } });
    expect((await d.list()).map((e) => e.id)).toEqual(["gemini:a", "gemini:b"]);
    expect((await d.list({ limit: 1 })).map((e) => e.id)).toEqual(["gemini:a"]);
    await d.remove("gemini:a");
    expect(await d.get("gemini:a")).toBeUndefined();
    expect(await d.size()).toBe(1);
  });

  it("bounded: past maxEntries the least recently failed go; list() never returns more than maxEntries", async () => {
    const d = postgresDeadLetters({ pool: db.pool, schema: "dl_bounded", maxEntries: 5 });
    for (let i = 0; i < 12; i++) await d.record(entry(`gemini:m${i}`), 1000 + i);
    const list = await d.list({ limit: 100 });
    expect(list.map((e) => e.id)).toEqual(["gemini:m11", "gemini:m10", "gemini:m9", "gemini:m8", "gemini:m7"]);
    expect(await d.size()).toBe(5);
  });

  it("a corrupt row is skipped and reported, never fatal to list()", async () => {
    const corrupt: string[] = [];
    const d = postgresDeadLetters({ pool: db.pool, schema: "dl_corrupt", onCorrupt: (id) => corrupt.push(id) });
    await d.record(entry("gemini:good"), 1000);
    await d.record(entry("gemini:bad"), 2000);
    await db.pool.query(`UPDATE dl_corrupt.dead_letters SET entry = '{not json' WHERE id = 'gemini:bad'`);
    expect((await d.list()).map((e) => e.id)).toEqual(["gemini:good"]);
    expect(await d.get("gemini:bad")).toBeUndefined();
    expect(corrupt).toContain("gemini:bad");
  });

  it("hostile ids and events (quotes, NUL, 10 KB) round-trip as data", async () => {
    const d = postgresDeadLetters({ pool: db.pool, schema: "dl_hostile" });
    const ids = ["gemini:'; DROP TABLE dl_hostile.dead_letters; --", "gemini:a\u0000b", "gemini:" + "x".repeat(10_240)];
    for (const [i, id] of ids.entries()) await d.record({ ...entry(id, "nul \u0000 inside"), ctx: { ...entry(id).ctx, webhookId: id } }, 1000 + i);
    for (const id of ids) expect((await d.get(id))?.id).toBe(id);
    expect((await d.list()).map((e) => e.id)).toEqual([...ids].reverse());
    expect((await d.get(ids[1]!))?.error.message).toBe("nul \u0000 inside");
  });
});
