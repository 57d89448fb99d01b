// unit.ts through the receiver: with postgresStore({ transactional: true }) handlers write through ctx.db, and their
// writes and the done mark commit together or not at all. A real PostgreSQL; the pipeline is core's.
import { expect, it } from "vitest";
import pg from "pg";
import { createGeminiWebhooks, WebhookVerificationError, type GeminiWebhooksOptions } from "@gemini-webhooks/core";
import { postgresDeadLetters, postgresStore, type PostgresUnit } from "@gemini-webhooks/postgres";
import { signStatic } from "@gemini-webhooks/testing";
import { describePostgres, usePostgres } from "../../../test/support/postgres.js";
import { signal } from "../../../test/support/signal.js";
import { until } from "../../../test/support/wait.js";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const delivery = (id: string, type = "batch.succeeded") => ({
  ...signStatic({ event: { type, version: "v1", timestamp: "2026-01-22T12:00:00Z", data: { id: `b_${id}`, output_file_uri: "gs://x" } }, secret: SECRET, id }),
  method: "POST",
});

describePostgres("postgresStore({ transactional: true })", () => {
  const db = usePostgres({ max: 8 });
  let n = 0;
  /** A fresh schema and app table per test. */
  async function setup(name: string) {
    const schema = `tx_${name}_${++n}`;
    await db.pool.query(`CREATE TABLE ${schema}_effects (webhook_id text NOT NULL, note text)`); // no unique constraint
    const effects = async (id?: string) =>
      Number((await db.pool.query(`SELECT count(*) AS n FROM ${schema}_effects${id ? " WHERE webhook_id = $1" : ""}`, id ? [id] : [])).rows[0].n);
    return { schema, table: `${schema}_effects`, effects };
  }

  it("handlers write through ctx.db (a PoolClient, no cast); writes and the mark commit together; a copy is a duplicate", async () => {
    const { schema, table, effects } = await setup("ok");
    const wh = createGeminiWebhooks({
      secret: SECRET,
      idempotency: postgresStore({ pool: db.pool, schema, transactional: true }),
      on: {
        "batch.succeeded": async (event, ctx) => {
          const r: pg.QueryResult = await ctx.db.query(`INSERT INTO ${table} (webhook_id, note) VALUES ($1, $2)`, [ctx.webhookId, event.data.output_file_uri]);
          expect(r.rowCount).toBe(1);
        },
        "*": async (_event, ctx) => {
          // every handler of the delivery shares the one transaction
          await ctx.db.query(`INSERT INTO ${table} (webhook_id, note) VALUES ($1, 'star')`, [ctx.webhookId]);
        },
      },
    });
    expect((await wh.handle(delivery("m1"))).body).toEqual({ status: "received" });
    expect(await effects("m1")).toBe(2);
    expect((await wh.handle(delivery("m1"))).body).toEqual({ status: "duplicate" });
    expect(await effects("m1")).toBe(2);
    // an event no handler takes is completed plainly
    const plain = createGeminiWebhooks({ secret: SECRET, idempotency: postgresStore({ pool: db.pool, schema, transactional: true }), on: { "batch.failed": async () => {} } });
    expect((await plain.handle(delivery("m2"))).body).toEqual({ status: "ignored" });
    expect((await plain.handle(delivery("m2"))).body).toEqual({ status: "duplicate" });
    // without transactional mode there is no ctx.db
    createGeminiWebhooks({
      secret: SECRET,
      idempotency: postgresStore({ pool: db.pool, schema }),
      on: {
        "batch.succeeded": (_e, ctx) => {
          // @ts-expect-error ctx.db exists only with transactional: true
          void ctx.db;
        },
      },
    });
  });

  it("a handler that throws after writing: ROLLBACK (nothing kept), 500 handler_failed, the retry runs it once", async () => {
    const { schema, table, effects } = await setup("throw");
    let fail = true;
    const deadLetters = postgresDeadLetters({ pool: db.pool, schema });
    const wh = createGeminiWebhooks({
      secret: SECRET,
      logger: false,
      deadLetters,
      idempotency: postgresStore({ pool: db.pool, schema, transactional: true }),
      on: {
        "batch.succeeded": async (_e, ctx) => {
          await ctx.db.query(`INSERT INTO ${table} (webhook_id) VALUES ($1)`, [ctx.webhookId]);
          if (fail) throw new Error("boom after the insert");
        },
      },
    });
    const r1 = await wh.handle(delivery("m1"));
    expect([r1.status, (r1.body as { error: { code: string } }).error.code]).toEqual([500, "handler_failed"]);
    expect(await effects("m1")).toBe(0);
    await until(async () => (await deadLetters.list()).length === 1, "the dead letter to be recorded");
    expect((await deadLetters.list()).map((d) => d.id)).toEqual(["gemini:m1"]);
    fail = false;
    expect((await wh.handle(delivery("m1"))).body).toEqual({ status: "received" });
    expect(await effects("m1")).toBe(1);
    await until(async () => (await deadLetters.list()).length === 0, "the success to remove the dead letter");
  });

  it("a dead letter replayed through webhooks.deadLetters runs in a transaction with ctx.db, once", async () => {
    const { schema, table, effects } = await setup("replay");
    let fail = true;
    const wh = createGeminiWebhooks({
      secret: SECRET,
      logger: false,
      deadLetters: postgresDeadLetters({ pool: db.pool, schema }),
      idempotency: postgresStore({ pool: db.pool, schema, transactional: true }),
      on: {
        "batch.succeeded": async (_e, ctx) => {
          await ctx.db.query(`INSERT INTO ${table} (webhook_id) VALUES ($1)`, [ctx.webhookId]);
          if (fail) throw new Error("downstream down");
        },
      },
    });
    expect((await wh.handle(delivery("m1"))).status).toBe(500);
    await until(async () => (await wh.deadLetters.list()).length === 1, "the dead letter to be recorded"); // recorded after the answer
    fail = false;
    const replayed = await wh.deadLetters.replay("gemini:m1");
    expect(replayed?.body).toEqual({ status: "received" });
    expect(await effects("m1")).toBe(1);
    await until(async () => (await wh.deadLetters.list()).length === 0, "the success to remove the dead letter");
    expect((await wh.handle(delivery("m1"))).body).toEqual({ status: "duplicate" });
    expect(await effects("m1")).toBe(1);
  });

  it("a copy arriving while the first runs answers 409 in_progress at once (no row lock waited on)", async () => {
    const { schema, table, effects } = await setup("copy");
    const started = signal();
    const go = signal();
    const wh = createGeminiWebhooks({
      secret: SECRET,
      idempotency: postgresStore({ pool: db.pool, schema, transactional: true }),
      on: {
        "batch.succeeded": async (_e, ctx) => {
          await ctx.db.query(`INSERT INTO ${table} (webhook_id) VALUES ($1)`, [ctx.webhookId]);
          started.resolve();
          await go.promise;
        },
      },
    });
    const first = wh.handle(delivery("m1"));
    await started.promise;
    const t0 = Date.now();
    const copy = await wh.handle(delivery("m1"));
    expect([copy.status, (copy.body as { error: { code: string } }).error.code]).toEqual([409, "in_progress"]);
    expect(Date.now() - t0).toBeLessThan(1000);
    go.resolve();
    expect((await first).body).toEqual({ status: "received" });
    expect(await effects("m1")).toBe(1);
  });

  it("a handler that swallows a failed statement: the aborted transaction is rolled back, 500, nothing kept", async () => {
    const { schema, table, effects } = await setup("swallow");
    const wh = createGeminiWebhooks({
      secret: SECRET,
      logger: false,
      idempotency: postgresStore({ pool: db.pool, schema, transactional: true }),
      on: {
        "batch.succeeded": async (_e, ctx) => {
          await ctx.db.query(`INSERT INTO ${table} (webhook_id) VALUES ($1)`, [ctx.webhookId]);
          await ctx.db.query("SELECT 1/0").catch(() => {});
        },
      },
    });
    const r = await wh.handle(delivery("m1"));
    expect(r.status).toBe(500);
    expect(String((r.error?.cause as Error)?.message)).toMatch(/aborted the transaction/);
    expect(await effects()).toBe(0);
  });

  it("a run whose lease expired and was taken over is rolled back: only the taker's writes count", async () => {
    const { schema, table, effects } = await setup("lost");
    const a = postgresStore({ pool: db.pool, schema, transactional: true, leaseMs: 100 });
    const b = postgresStore({ pool: db.pool, schema, transactional: true, leaseMs: 60_000 });
    expect(await a.claim("k")).toBe("new");
    const taken = signal();
    const ranA = a.runInUnit("k", async ({ db }) => {
      await db.query(`INSERT INTO ${table} (webhook_id) VALUES ('a')`);
      await taken.promise;
    });
    let claimed: string;
    do claimed = await b.claim("k");
    while (claimed !== "new");
    taken.resolve();
    const err = await ranA.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WebhookVerificationError);
    expect((err as WebhookVerificationError).code).toBe("store_unavailable");
    await b.runInUnit("k", async ({ db }) => void (await db.query(`INSERT INTO ${table} (webhook_id) VALUES ('b')`)));
    expect(await effects("a")).toBe(0);
    expect(await effects("b")).toBe(1);
    expect(await a.claim("k")).toBe("done");
  });

  it("an exhausted pool answers 503 store_unavailable within acquireTimeoutMs, never a hang", async () => {
    const { schema } = await setup("exhausted");
    const small = new pg.Pool({ connectionString: db.server.url, max: 2 });
    try {
      const store = postgresStore({ pool: small, schema, transactional: true, acquireTimeoutMs: 300 });
      const wh = createGeminiWebhooks({ secret: SECRET, logger: false, idempotency: store, on: { "*": async () => {} } });
      expect((await wh.handle(delivery("warm"))).status).toBe(200); // tables created
      const held = await Promise.all([small.connect(), small.connect()]);
      const t0 = Date.now();
      const r = await wh.handle(delivery("m1"));
      expect([r.status, (r.body as { error: { code: string } }).error.code]).toEqual([503, "store_unavailable"]);
      expect(Date.now() - t0).toBeLessThan(2000);
      for (const c of held) c.release();
      expect((await wh.handle(delivery("m1"))).body).toEqual({ status: "received" });
    } finally {
      await small.end();
    }
  });

  it("Postgres stopped: 503 store_unavailable at once (the process lives); restarted: deliveries succeed again", async () => {
    const { schema, table, effects } = await setup("down");
    const errors: unknown[] = [];
    const opts: GeminiWebhooksOptions<never, PostgresUnit> = {
      secret: SECRET,
      logger: false,
      idempotency: postgresStore({ pool: db.pool, schema, transactional: true, acquireTimeoutMs: 1000, onError: (e) => errors.push(e) }),
      on: { "*": async (_e, ctx) => void (await ctx.db.query(`INSERT INTO ${table} (webhook_id) VALUES ($1)`, [ctx.webhookId])) },
    };
    const wh = createGeminiWebhooks(opts);
    expect((await wh.handle(delivery("before"))).status).toBe(200);
    await db.server.stop(); // idle pooled clients lose their server: the pool emits "error", the store's listener keeps us alive
    const t0 = Date.now();
    const r = await wh.handle(delivery("during"));
    expect([r.status, (r.body as { error: { code: string } }).error.code]).toEqual([503, "store_unavailable"]);
    expect(Date.now() - t0).toBeLessThan(3000);
    await db.server.start();
    // as Gemini would: retry until it is received (a pooled client that died with the old server fails once at most)
    let after = await wh.handle(delivery("during"));
    for (let i = 0; i < 5 && after.status === 503; i++) after = await wh.handle(delivery("during"));
    expect(after.body).toEqual({ status: "received" });
    expect(await effects("during")).toBe(1);
  });
});
