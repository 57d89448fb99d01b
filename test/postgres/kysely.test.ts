// The docs' Kysely recipe (docs/postgres.md, "Kysely and Drizzle"): a Kysely instance over the delivery's own
// transaction client (ctx.db), so typed queries commit (or roll back) with the done mark.
import { expect, it } from "vitest";
import pg from "pg";
import { Kysely, PostgresDialect, type Generated, type PostgresPoolClient } from "kysely";
import { createGeminiWebhooks } from "@gemini-webhooks/core";
import { postgresStore } from "@gemini-webhooks/postgres";
import { signStatic } from "@gemini-webhooks/testing";
import { describePostgres, usePostgres } from "../support/postgres.js";

// --- the recipe, as in the docs ---
interface Database {
  batch_results: { id: Generated<number>; batch_id: string; output_uri: string };
}

/** A Kysely over one client: every query goes through it (so through its transaction); the client is never released here. */
function kyselyOn<DB>(client: pg.PoolClient): Kysely<DB> {
  const connection: PostgresPoolClient = { query: client.query.bind(client) as PostgresPoolClient["query"], release: () => {} };
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool: { connect: async () => connection, end: async () => {} } }) });
}
// --- end of the recipe ---

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const delivery = (id: string) => ({
  ...signStatic({ event: { type: "batch.succeeded", version: "v1", timestamp: "2026-01-22T12:00:00Z", data: { id: `batches/${id}`, output_file_uri: `gs://b/${id}` } }, secret: SECRET, id }),
  method: "POST",
});

describePostgres("recipe: Kysely over ctx.db", () => {
  const db = usePostgres({ setup: (pool) => pool.query("CREATE TABLE batch_results (id serial PRIMARY KEY, batch_id text NOT NULL, output_uri text NOT NULL)") });

  it("typed inserts commit with the done mark, and roll back with a failing handler", async () => {
    let fail = false;
    const webhooks = createGeminiWebhooks({
      secret: SECRET,
      logger: false,
      idempotency: postgresStore({ pool: db.pool, transactional: true }),
      on: {
        "batch.succeeded": async (event, ctx) => {
          const db = kyselyOn<Database>(ctx.db);
          await db.insertInto("batch_results").values({ batch_id: event.data.id, output_uri: event.data.output_file_uri }).execute();
          if (fail) throw new Error("after the insert");
        },
      },
    });
    expect((await webhooks.handle(delivery("b1"))).body).toEqual({ status: "received" });
    expect((await webhooks.handle(delivery("b1"))).body).toEqual({ status: "duplicate" });
    fail = true;
    expect((await webhooks.handle(delivery("b2"))).status).toBe(500);
    const rows = (await db.pool.query("SELECT batch_id FROM batch_results")).rows;
    expect(rows).toEqual([{ batch_id: "batches/b1" }]);
  });
});
