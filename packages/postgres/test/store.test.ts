// postgresStore against a real PostgreSQL: the IdempotencyStore contract across two pools (two replicas).
import { afterAll, beforeAll, expect, it } from "vitest";
import pg from "pg";
import { GeminiWebhooksConfigError } from "@gemini-webhooks/core";
import { migrate, postgresStore } from "@gemini-webhooks/postgres";
import { describePostgres, startPostgres, type PostgresServer } from "../../../test/support/postgres.js";
import { until } from "../../../test/support/wait.js";

describePostgres("postgresStore", () => {
  let server: PostgresServer;
  let a: pg.Pool;
  let b: pg.Pool;
  beforeAll(async () => {
    server = await startPostgres();
    a = new pg.Pool({ connectionString: server.url, max: 10 });
    b = new pg.Pool({ connectionString: server.url, max: 10 });
  });
  afterAll(async () => {
    await a?.end();
    await b?.end();
    await server?.dispose();
  });

  it("a hostile schema is a configuration error at construction, not SQL", () => {
    for (const schema of ['x"; DROP TABLE t; --', "1abc", "", "a".repeat(64), "a b", "ä"]) {
      expect(() => postgresStore({ pool: a, schema })).toThrow(GeminiWebhooksConfigError);
    }
    expect(() => postgresStore({ pool: {} as pg.Pool })).toThrow(/pg Pool/);
    expect(() => postgresStore({ pool: a, leaseMs: 0 })).toThrow(/leaseMs/);
    expect(() => postgresStore({ pool: a, schema: "Good_schema_1" })).not.toThrow();
  });

  it("claim, complete, release: new, in_progress, done; a release frees the id", async () => {
    const s = postgresStore({ pool: a, schema: "basic" });
    expect(await s.claim("k1")).toBe("new");
    expect(await s.claim("k1")).toBe("in_progress");
    await s.complete("k1");
    expect(await s.claim("k1")).toBe("done");
    expect(await s.claim("k2")).toBe("new");
    await s.release("k2");
    expect(await s.claim("k2")).toBe("new");
  });

  it("of 50 concurrent claims of one id from two replicas (pools), exactly one is new", async () => {
    const sa = postgresStore({ pool: a, schema: "race" });
    const sb = postgresStore({ pool: b, schema: "race" });
    for (let round = 0; round < 10; round++) {
      const key = `race-${round}`;
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? sa : sb).claim(key)));
      expect(results.filter((r) => r === "new")).toHaveLength(1);
      expect(results.filter((r) => r === "in_progress")).toHaveLength(49);
    }
  });

  it("replicas creating the tables at once do not race (advisory lock); migrate() is idempotent", async () => {
    const stores = Array.from({ length: 8 }, (_, i) => postgresStore({ pool: i % 2 ? a : b, schema: "fresh_start" }));
    const results = await Promise.all(stores.map((s, i) => s.claim(`k${i}`)));
    expect(results).toEqual(Array(8).fill("new"));
    await Promise.all([migrate(a, { schema: "fresh_start" }), migrate(b, { schema: "fresh_start" })]);
    await expect(migrate(a, { schema: "bad;" })).rejects.toThrow(GeminiWebhooksConfigError);
  });

  it("an expired lease is taken over by another replica; the old holder's release leaves the new claim alone", async () => {
    const sa = postgresStore({ pool: a, schema: "lease", leaseMs: 150 });
    const sb = postgresStore({ pool: b, schema: "lease", leaseMs: 150 });
    expect(await sa.claim("k")).toBe("new");
    expect(await sb.claim("k")).toBe("in_progress");
    await until(async () => (await sb.claim("k")) === "new", "the lease to expire and b to take over", 5000);
    await sa.release("k"); // a's token is no longer the row's
    expect(await sa.claim("k")).toBe("in_progress");
    await sb.complete("k");
    expect(await sa.claim("k")).toBe("done");
  });

  it("renew keeps a claim alive past its lease; it never revives a done id", async () => {
    const sa = postgresStore({ pool: a, schema: "renew", leaseMs: 300 });
    const sb = postgresStore({ pool: b, schema: "renew", leaseMs: 300 });
    expect(await sa.claim("k")).toBe("new");
    const start = Date.now();
    // renew (as often as the round trips allow) for three leases' time: b never gets it
    while (Date.now() - start < 900) {
      await sa.renew("k");
      expect(await sb.claim("k")).toBe("in_progress");
    }
    await sa.complete("k");
    await sa.renew("k");
    expect(await sb.claim("k")).toBe("done");
  });

  it("a done id is forgotten after doneTtlMs", async () => {
    const s = postgresStore({ pool: a, schema: "ttl", doneTtlMs: 150 });
    expect(await s.claim("k")).toBe("new");
    await s.complete("k");
    expect(await s.claim("k")).toBe("done");
    await until(async () => (await s.claim("k")) === "new", "the done mark to expire", 5000);
  });

  it("prune deletes expired rows in bounded batches, and uses the expires_at index", async () => {
    const s = postgresStore({ pool: a, schema: "prune", doneTtlMs: 1, leaseMs: 60_000 });
    await s.claim("warm");
    await a.query(`INSERT INTO prune.idempotency (key, done, token, expires_at) SELECT 'old' || g, true, NULL, now() - interval '1 hour' FROM generate_series(1, 1200) g`);
    await s.claim("live");
    expect(await s.prune(500)).toBe(500);
    expect(await s.prune(500)).toBe(500);
    expect(await s.prune(500)).toBe(200);
    expect(await s.prune(500)).toBe(0);
    expect(await s.claim("live")).toBe("in_progress"); // a live claim is never pruned
    // with a table of mostly live ids, finding the expired ones is an index range scan, not a table scan
    await a.query(`INSERT INTO prune.idempotency (key, done, token, expires_at) SELECT 'live' || g, true, NULL, now() + interval '1 day' FROM generate_series(1, 20000) g`);
    await a.query("ANALYZE prune.idempotency");
    const plan = await a.query("EXPLAIN SELECT key FROM prune.idempotency WHERE expires_at < clock_timestamp() ORDER BY expires_at LIMIT 500");
    expect(plan.rows.map((r) => r["QUERY PLAN"]).join("\n")).toMatch(/idempotency_expires_at/);
  });

  it("claims prune by themselves, a batch every 256 claims", async () => {
    const s = postgresStore({ pool: a, schema: "autoprune" });
    await s.claim("warm");
    await a.query(`INSERT INTO autoprune.idempotency (key, done, token, expires_at) SELECT 'old' || g, true, NULL, now() - interval '1 hour' FROM generate_series(1, 300) g`);
    for (let i = 0; i < 256; i++) await s.claim(`k${i}`);
    await until(async () => Number((await a.query("SELECT count(*) AS n FROM autoprune.idempotency WHERE key LIKE 'old%'")).rows[0].n) === 0, "the automatic prune", 5000);
  });

  it("hostile ids (quotes, NUL, lone surrogates, backslashes, 10 KB) are data: each its own key", async () => {
    const s = postgresStore({ pool: a, schema: "hostile" });
    const ids = ["'; DROP TABLE hostile.idempotency; --", "a\u0000b", "a\\u0000b", "\ud800x", "\\", "\\h00", "x".repeat(10_240), "x".repeat(10_239) + "y", "\u0000"];
    for (const id of ids) expect(await s.claim(id)).toBe("new");
    for (const id of ids) expect(await s.claim(id)).toBe("in_progress");
    for (const id of ids) await s.complete(id);
    for (const id of ids) expect(await s.claim(id)).toBe("done");
    expect(Number((await a.query("SELECT count(*) AS n FROM hostile.idempotency")).rows[0].n)).toBe(ids.length);
  });

  it("get / set: small shared values with a TTL", async () => {
    const s = postgresStore({ pool: a, schema: "kv" });
    expect(await s.get("cp")).toBeUndefined();
    await s.set("cp", "v1", 60_000);
    await s.set("cp", "v2", 60_000);
    expect(await s.get("cp")).toBe("v2");
    await s.set("short", "x", 50);
    await until(async () => (await s.get("short")) === undefined, "the value to expire", 5000);
  });
});
