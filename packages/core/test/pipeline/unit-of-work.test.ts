import { describe, expect, it } from "vitest";
import { createGeminiWebhooks, memoryStore, WebhookVerificationError, type IdempotencyStore } from "@gemini-webhooks/core";
import { signStatic } from "@gemini-webhooks/testing";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const NOW_S = 1_800_000_000;
const now = () => NOW_S * 1000;
const post = (id: string, type = "batch.succeeded") => ({
  ...signStatic({ event: { type, data: { id: "b1", output_file_uri: "gs://x" } }, secret: SECRET, id, timestamp: NOW_S }),
  method: "POST",
});

/**
 * A store with a unit of work: writes made through `tx` are buffered and applied with the done mark on
 * commit, or dropped on rollback (what a database transaction does for @gemini-webhooks/postgres).
 */
function transactionalStore(options: { failCommit?: boolean } = {}) {
  const marks = memoryStore({ now });
  const table: string[] = [];
  const calls: string[] = [];
  const store: IdempotencyStore<{ tx: { insert(row: string): void } }> = {
    claim: (key) => marks.claim(key),
    complete: (key) => {
      calls.push(`complete ${key}`);
      marks.complete(key);
    },
    release: (key) => {
      calls.push(`release ${key}`);
      marks.release(key);
    },
    async runInUnit(key, work) {
      const pending: string[] = [];
      calls.push(`begin ${key}`);
      await work({ tx: { insert: (row) => void pending.push(row) } }); // a throw here is a rollback: pending is dropped
      if (options.failCommit) throw new WebhookVerificationError("store_unavailable", "the commit failed", { cause: new Error("connection lost") });
      table.push(...pending);
      marks.complete(key);
      calls.push(`commit ${key}`);
    },
  };
  return { store, table, calls };
}

describe("a store's unit of work (the seam @gemini-webhooks/postgres fills)", () => {
  it("runs every handler inside the unit with what it adds on ctx; the mark is the unit's, complete() is not called", async () => {
    const { store, table, calls } = transactionalStore();
    const wh = createGeminiWebhooks({
      secret: SECRET,
      now,
      logger: false,
      idempotency: store,
      on: {
        "batch.succeeded": (event, ctx) => ctx.tx.insert(`effect ${event.data.id} ${ctx.webhookId}`),
        "*": (_event, ctx) => ctx.tx.insert(`audit ${ctx.webhookId}`),
      },
    });
    const r = await wh.handle(post("msg_1"));
    expect(r).toMatchObject({ status: 200, body: { status: "received" } });
    expect(table).toEqual(["effect b1 msg_1", "audit msg_1"]);
    expect(calls).toEqual(["begin gemini:msg_1", "commit gemini:msg_1"]);
    expect(r.ctx).not.toHaveProperty("tx");
    expect((await wh.handle(post("msg_1"))).body).toEqual({ status: "duplicate" });
    expect(table).toHaveLength(2);
  });

  it("a throwing handler rolls the unit back: none of its writes, 500 handler_failed, the claim released, the retry runs it", async () => {
    const { store, table, calls } = transactionalStore();
    let fail = true;
    const wh = createGeminiWebhooks({
      secret: SECRET,
      now,
      logger: false,
      idempotency: store,
      on: {
        "batch.succeeded": (_event, ctx) => {
          ctx.tx.insert("effect");
          if (fail) throw new Error("boom");
        },
      },
    });
    const r = await wh.handle(post("msg_2"));
    expect(r.status).toBe(500);
    expect(r.error?.code).toBe("handler_failed");
    expect(table).toEqual([]);
    expect(calls).toEqual(["begin gemini:msg_2", "release gemini:msg_2"]);
    expect(await wh.deadLetters.list()).toHaveLength(1);
    fail = false;
    expect((await wh.handle(post("msg_2"))).body).toEqual({ status: "received" });
    expect(table).toEqual(["effect"]);
    expect(await wh.deadLetters.list()).toHaveLength(0);
  });

  it("a unit that fails on its own (the database) answers 503 store_unavailable, releases, and keeps no dead letter", async () => {
    const { store, table, calls } = transactionalStore({ failCommit: true });
    const wh = createGeminiWebhooks({ secret: SECRET, now, logger: false, idempotency: store, on: { "batch.succeeded": (_e, ctx) => ctx.tx.insert("x") } });
    const r = await wh.handle(post("msg_3"));
    expect(r.status).toBe(503);
    expect(r.error?.code).toBe("store_unavailable");
    expect(table).toEqual([]);
    expect(calls).toEqual(["begin gemini:msg_3", "release gemini:msg_3"]);
    expect(await wh.deadLetters.list()).toHaveLength(0);
  });

  it("an ignored delivery (no handler) is completed without opening a unit", async () => {
    const { store, calls } = transactionalStore();
    const wh = createGeminiWebhooks({ secret: SECRET, now, logger: false, idempotency: store, on: { "batch.failed": () => {} } });
    expect((await wh.handle(post("msg_4"))).body).toEqual({ status: "ignored" });
    expect(calls).toEqual(["complete gemini:msg_4"]);
  });

  it("process() and dead-letter replays go through the unit too", async () => {
    const { store, table } = transactionalStore();
    let fail = true;
    const wh = createGeminiWebhooks({
      secret: SECRET,
      now,
      logger: false,
      idempotency: store,
      on: {
        "batch.succeeded": (_e, ctx) => {
          ctx.tx.insert(`effect ${ctx.webhookId}`);
          if (fail) throw new Error("boom");
        },
      },
    });
    await wh.handle(post("msg_5"));
    fail = false;
    const [entry] = await wh.deadLetters.list();
    expect((await wh.deadLetters.replay(entry!.id))?.body).toEqual({ status: "received" });
    expect(table).toEqual(["effect msg_5"]);
  });
});
