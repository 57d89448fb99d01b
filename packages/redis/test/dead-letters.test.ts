import type { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createGeminiWebhooks, type GeminiWebhooksOptions } from "@gemini-webhooks/core";
import { RedisTimeoutError, redisDeadLetters, redisStore } from "@gemini-webhooks/redis";
import { fixture, generateSecret, signStatic } from "@gemini-webhooks/testing";
import { until } from "../../../test/support/cli.js";
import { CLIENT_KINDS, makeClient, useRedis, type ClientKind, type TestClient } from "../../../test/support/redis-clients.js";
import { describeRedis, startRedis, type RedisServer } from "../../../test/support/redis-server.js";

const T0 = 1_800_000_000_000;

function failure(id: string, message = "database is down", event: unknown = fixture("batch.succeeded")) {
  return {
    id: `gemini:${id}`,
    event: event as ReturnType<typeof fixture<"batch.succeeded">>,
    ctx: { webhookId: id, timestamp: "2027-01-15T08:00:00.000Z", scheme: "v1" as const, secretIndex: 0 },
    error: { name: "Error", message, code: "handler_failed" },
  };
}

describeRedis("redisDeadLetters against a real redis-server", () => {
  const redis = useRedis({ persistent: true });
  const open = redis.open;

  for (const kind of CLIENT_KINDS) {
    const other: ClientKind = kind === "ioredis" ? "node-redis" : "ioredis";

    it(`${kind}: record upserts (attempts + 1, first seen kept, latest error), list is newest first, remove deletes`, async () => {
      const dl = redisDeadLetters((await open(kind)).client, { prefix: `a:${kind}:` });
      expect(dl.kind).toBe(kind);
      await dl.record(failure("msg_1"), T0);
      await dl.record(failure("msg_2"), T0 + 1000);
      await dl.record(failure("msg_1", "timeout talking to the database"), T0 + 2000);
      const list = await dl.list();
      expect(list.map((e) => [e.id, e.attempts, e.firstSeen, e.lastSeen])).toEqual([
        ["gemini:msg_1", 2, T0, T0 + 2000],
        ["gemini:msg_2", 1, T0 + 1000, T0 + 1000],
      ]);
      expect(list[0]).toEqual({ ...failure("msg_1", "timeout talking to the database"), attempts: 2, firstSeen: T0, lastSeen: T0 + 2000 });
      expect((await dl.list({ limit: 1 })).map((e) => e.id)).toEqual(["gemini:msg_1"]);
      for (const limit of [-1, 0, 1.5, Number.NaN]) await expect(dl.list({ limit })).rejects.toThrow(/limit must be an integer/);
      expect(await dl.get("gemini:msg_2")).toMatchObject({ attempts: 1, ctx: { webhookId: "msg_2" } });
      expect(await dl.get("gemini:nope")).toBeUndefined();
      await dl.remove("gemini:msg_1");
      await dl.remove("gemini:never-there");
      expect(await dl.get("gemini:msg_1")).toBeUndefined();
      expect((await dl.list()).map((e) => e.id)).toEqual(["gemini:msg_2"]);
      expect(await dl.size()).toBe(1);
    });

    it(`${kind}: the event comes back exactly (empty arrays and objects, unicode, big numbers)`, async () => {
      const dl = redisDeadLetters((await open(kind)).client, { prefix: `b:${kind}:` });
      const event = { type: "batch.succeeded", version: "v1", timestamp: "2027-01-15T08:00:00Z", data: { id: "batches/1", list: [], obj: {}, text: "héllo ☃ \u0000 \"q\"", n: 2 ** 53 - 1, f: 0.1 } };
      await dl.record(failure("msg_x", "x", event), T0);
      expect((await dl.get("gemini:msg_x"))!.event).toEqual(event);
    });

    it(`${kind}: a corrupt entry is skipped and reported, never fatal to list() or get()`, async () => {
      const corrupt: string[] = [];
      const dl = redisDeadLetters((await open(kind)).client, { prefix: `e:${kind}:`, onCorrupt: (id, e) => void corrupt.push(`${id}: ${e.message}`) });
      await dl.record(failure("msg_ok"), T0);
      const raw = (await open("ioredis")).client as Redis;
      for (const [id, json] of [["gemini:msg_bad", "{not json"], ["gemini:msg_odd", '{"event":{"type":"x"},"ctx":null,"error":{}}']] as const) {
        await raw.hset(`e:${kind}:{dead-letters}:event`, id, json);
        await raw.zadd(`e:${kind}:{dead-letters}:index`, T0 + 1, id);
      }
      expect((await dl.list()).map((e) => e.id)).toEqual(["gemini:msg_ok"]);
      expect(await dl.get("gemini:msg_bad")).toBeUndefined();
      expect(corrupt).toHaveLength(3);
      expect(corrupt.filter((c) => c.startsWith("gemini:msg_bad: "))).toHaveLength(2);
      expect(corrupt.filter((c) => c.startsWith("gemini:msg_odd: "))).toEqual(["gemini:msg_odd: the stored entry is not a dead letter (event, ctx and error expected)"]);
      expect(() => redisDeadLetters(raw, { onCorrupt: "log" as never })).toThrow(/onCorrupt must be a function/);
    });

    it(`${kind}: bounded by maxEntries, the least recently failed go first`, async () => {
      const dl = redisDeadLetters((await open(kind)).client, { prefix: `c:${kind}:`, maxEntries: 3 });
      for (let i = 1; i <= 5; i++) await dl.record(failure(`msg_${i}`), T0 + i);
      await dl.record(failure("msg_3"), T0 + 10); // failed again: now the newest
      await dl.record(failure("msg_6"), T0 + 11);
      expect((await dl.list()).map((e) => e.ctx.webhookId)).toEqual(["msg_6", "msg_3", "msg_5"]);
      expect(await dl.size()).toBe(3);
    });

    it(`${kind} and ${other}: two receivers see one list, and concurrent failures of one id each count`, async () => {
      const a = redisDeadLetters((await open(kind)).client, { prefix: `d:${kind}:` });
      const b = redisDeadLetters((await open(other)).client, { prefix: `d:${kind}:` });
      await Promise.all([a.record(failure("msg_1"), T0), b.record(failure("msg_1"), T0 + 1), a.record(failure("msg_2"), T0 + 2), b.record(failure("msg_1"), T0 + 3)]);
      expect((await b.list()).map((e) => [e.ctx.webhookId, e.attempts])).toEqual([
        ["msg_1", 3],
        ["msg_2", 1],
      ]);
      await b.remove("gemini:msg_2");
      expect((await a.list()).map((e) => e.ctx.webhookId)).toEqual(["msg_1"]);
    });
  }

  it("survives a restart of Redis and of the app (a new client)", async () => {
    const first = await open("ioredis", { failFast: false });
    await redisDeadLetters(first.client, { prefix: "e:" }).record(failure("msg_kept"), T0);
    await first.close();
    await redis.server.stop();
    await redis.server.start();
    const dl = redisDeadLetters((await open("node-redis")).client, { prefix: "e:" });
    expect(await dl.list()).toEqual([{ ...failure("msg_kept"), attempts: 1, firstSeen: T0, lastSeen: T0 }]);
  });

  it("Redis down: a call fails after timeoutMs instead of waiting for the client's reconnect", async () => {
    const c = await open("ioredis", { failFast: false });
    const dl = redisDeadLetters(c.client, { prefix: "f:", timeoutMs: 150 });
    await dl.list();
    await redis.server.stop();
    try {
      await expect(dl.record(failure("msg_down"), T0)).rejects.toBeInstanceOf(RedisTimeoutError);
    } finally {
      await redis.server.start();
    }
  });

  it("rejects what is not a Redis client, and bad options", () => {
    expect(() => redisDeadLetters({} as never)).toThrow(/redisDeadLetters\(client\): pass an ioredis client/);
    expect(() => redisDeadLetters({ set() {}, get() {}, eval() {}, defineCommand() {} } as never, { maxEntries: 0 })).toThrow(/maxEntries must be an integer ≥ 1/);
    expect(() => redisDeadLetters({ set() {}, get() {}, eval() {}, defineCommand() {} } as never, { timeoutMs: -1 })).toThrow(/timeoutMs/);
  });
});

describeRedis("redisDeadLetters as createGeminiWebhooks' deadLetters", () => {
  const SECRET = generateSecret();
  let server: RedisServer;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.dispose();
  });

  /** `n` receivers (instances of one app) sharing one Redis for idempotency and dead letters. */
  async function instances(n: number, prefix: string, opts: Partial<GeminiWebhooksOptions> = {}) {
    const state = { down: true, runs: [] as string[] };
    const list = [];
    for (let i = 0; i < n; i++) {
      const c = await makeClient(i % 2 ? "node-redis" : "ioredis", server.url);
      clients.push(c);
      list.push(
        createGeminiWebhooks({
          secret: SECRET,
          logger: false,
          idempotency: redisStore(c.client, { prefix: `${prefix}idem:` }),
          deadLetters: redisDeadLetters(c.client, { prefix }),
          on: {
            "*": async (_e, ctx) => {
              state.runs.push(ctx.webhookId);
              if (state.down) throw new Error("database is down");
            },
          },
          ...opts,
        }),
      );
    }
    return { list, state };
  }
  const deliver = (wh: ReturnType<typeof createGeminiWebhooks>, id: string) => wh.handle(signStatic({ event: fixture("batch.succeeded"), secret: SECRET, id }));

  it("a failure on one instance is seen by the other; retries count; a later success anywhere removes it", async () => {
    const { list: [a, b], state } = await instances(2, "g1:");
    expect((await deliver(a!, "msg_1")).status).toBe(500);
    const first = await until(async () => (await b!.deadLetters.list())[0], "the dead letter");
    expect(first).toMatchObject({ id: "gemini:msg_1", attempts: 1, ctx: { webhookId: "msg_1", scheme: "v1" }, error: { message: "database is down", code: "handler_failed" } });
    expect((await deliver(b!, "msg_1")).status).toBe(500); // Gemini's retry, to the other instance
    await until(async () => (await a!.deadLetters.get("gemini:msg_1"))?.attempts === 2, "attempts 2");
    state.down = false;
    expect((await deliver(a!, "msg_1")).body).toEqual({ status: "received" });
    await until(async () => (await b!.deadLetters.list()).length === 0, "the entry removed");
  });

  it("replay from two instances at once runs the handler once; the entry goes", async () => {
    const { list: [a, b], state } = await instances(2, "g2:");
    await deliver(a!, "msg_2");
    await until(async () => (await b!.deadLetters.get("gemini:msg_2")) !== undefined, "the dead letter");
    state.down = false;
    state.runs.length = 0;
    const results = await Promise.all([a!.deadLetters.replay("gemini:msg_2"), b!.deadLetters.replay("gemini:msg_2")]);
    expect(state.runs).toEqual(["msg_2"]);
    const said = results.map((r) => ("status" in r!.body ? r!.body.status : r!.body.error.code));
    // one ran it; the other found it done or still running
    expect(said.filter((w) => w === "received")).toHaveLength(1);
    expect(["duplicate", "in_progress"]).toContain(said.find((w) => w !== "received"));
    await until(async () => (await a!.deadLetters.list()).length === 0, "the entry removed");
    // a replay after that finds nothing to run
    expect(await b!.deadLetters.replay("gemini:msg_2")).toBeUndefined();
    expect(state.runs).toEqual(["msg_2"]);
  });

  it("the dead-letter Redis down never blocks or changes the answer: it is logged", async () => {
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, warn: (m: string) => void warnings.push(m), error() {} };
    const c = await makeClient("ioredis", server.url, { failFast: false });
    clients.push(c);
    const wh = createGeminiWebhooks({
      secret: SECRET,
      logger,
      deadLetters: redisDeadLetters(c.client, { prefix: "g3:", timeoutMs: 200 }),
      on: { "*": () => { throw new Error("boom"); } },
    });
    await server.stop();
    try {
      const result = await deliver(wh, "msg_3");
      expect(result.status).toBe(500);
      expect(result.body).toMatchObject({ error: { code: "handler_failed" } });
      await until(() => warnings.find((w) => /dead_letters/.test(w)), "a dead_letters warning");
    } finally {
      await server.start();
    }
  });
});
