import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { DEFAULT_DONE_TTL_MS, createGeminiWebhooks, type GeminiWebhooksOptions } from "@gemini-webhooks/core";
import { RedisTimeoutError, redisStore, type RedisStore } from "@gemini-webhooks/redis";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { SECRET, clock, signed } from "../../../test/support/receiver.js";
import { CLIENT_KINDS, makeClient, useRedis, type ClientKind, type TestClient } from "../../../test/support/redis-clients.js";
import { describeRedis, startRedis, type RedisServer } from "../../../test/support/redis-server.js";
import { until } from "../../../test/support/wait.js";

describeRedis("redisStore against a real redis-server", () => {
  const redis = useRedis();
  const open = redis.open;

  for (const kind of CLIENT_KINDS) {
    const other: ClientKind = kind === "ioredis" ? "node-redis" : "ioredis";

    it(`${kind}: claim → in_progress → complete → done, with the lease and the 25 h TTL in Redis`, async () => {
      const c = await open(kind);
      const store = redisStore(c.client, { prefix: `t1:${kind}:` });
      expect(store.kind).toBe(kind);
      expect(store.keyOf("gemini:msg_a")).toBe(`t1:${kind}:gemini:msg_a`);

      expect(await store.claim("gemini:msg_a")).toBe("new");
      expect(await c.get(store.keyOf("gemini:msg_a"))).toMatch(/^p:[0-9a-f-]{36}$/);
      const leaseTtl = await c.pttl(store.keyOf("gemini:msg_a"));
      expect(leaseTtl).toBeGreaterThan(0);
      expect(leaseTtl).toBeLessThanOrEqual(60_000);
      expect(await store.claim("gemini:msg_a")).toBe("in_progress");

      await store.complete("gemini:msg_a");
      expect(await c.get(store.keyOf("gemini:msg_a"))).toBe("d");
      const doneTtl = await c.pttl(store.keyOf("gemini:msg_a"));
      expect(doneTtl).toBeGreaterThan(DEFAULT_DONE_TTL_MS - 60_000);
      expect(DEFAULT_DONE_TTL_MS).toBeGreaterThanOrEqual(25 * 3600 * 1000);
      expect(await store.claim("gemini:msg_a")).toBe("done");
    });

    it(`${kind}: of 200 concurrent claims from two instances (${kind} + ${other}) exactly one is new`, async () => {
      const a = redisStore((await open(kind)).client, { prefix: "t2:" });
      const b = redisStore((await open(other)).client, { prefix: "t2:" });
      for (const key of [`${kind}:k1`, `${kind}:k2`, `${kind}:k3`]) {
        const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).claim(key)));
        expect(results.filter((r) => r === "new")).toHaveLength(1);
        expect(results.filter((r) => r === "in_progress")).toHaveLength(199);
      }
    });

    it(`${kind}: release frees the id for the next claim; another instance's release does not`, async () => {
      const a = redisStore((await open(kind)).client, { prefix: "t3:" });
      const b = redisStore((await open(other)).client, { prefix: "t3:" });
      expect(await a.claim(`${kind}:r`)).toBe("new");
      await b.release(`${kind}:r`); // b holds no claim on it: a no-op
      expect(await b.claim(`${kind}:r`)).toBe("in_progress");
      await a.release(`${kind}:r`);
      expect(await b.claim(`${kind}:r`)).toBe("new");
      await a.release(`${kind}:r`); // a's claim is gone: must not drop b's
      expect(await a.claim(`${kind}:r`)).toBe("in_progress");
      await b.complete(`${kind}:r`);
      await b.release(`${kind}:r`); // release after complete: the id stays done
      expect(await a.claim(`${kind}:r`)).toBe("done");
    });

    it(`${kind}: a lease expires; the late release of the old owner leaves the new owner's claim alone`, async () => {
      const c = await open(kind);
      const a = redisStore(c.client, { prefix: "t4:", leaseMs: 150 });
      const b = redisStore((await open(other)).client, { prefix: "t4:" });
      const key = `${kind}:lease`;
      expect(await a.claim(key)).toBe("new");
      await until(async () => (await c.get(a.keyOf(key))) === null, "the lease to expire in Redis");
      expect(await b.claim(key)).toBe("new"); // the crashed/slow owner no longer blocks retries
      await a.release(key); // stale owner fails late
      expect(await a.claim(key)).toBe("in_progress"); // b still owns it
      await b.complete(key);
      expect(await a.claim(key)).toBe("done");
    });

    it(`${kind}: one process re-claims its own expired key; the first run's late release keeps the second run's claim`, async () => {
      const c = await open(kind);
      const a = redisStore(c.client, { prefix: "t6:", leaseMs: 150 });
      const key = `${kind}:twice`;
      expect(await a.claim(key)).toBe("new"); // run 1, slower than its lease
      await until(async () => (await c.get(a.keyOf(key))) === null, "the lease to expire in Redis");
      expect(await a.claim(key)).toBe("new"); // run 2, a retry that reached the same process
      const run2 = await c.get(a.keyOf(key));
      await a.release(key); // run 1 fails
      expect(await c.get(a.keyOf(key))).toBe(run2);
      expect(await a.claim(key)).toBe("in_progress");
      await a.release(key); // run 2 fails
      expect(await a.claim(key)).toBe("new");
    });
  }

  it("a SET NX that landed, lost its reply and was resent by the client still counts as our claim", async () => {
    const c = await open("ioredis");
    const real = c.client as Redis;
    // Injected fault: every SET runs twice, and only the second reply (null for NX: "exists") comes back.
    const resending = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop === "set") return async (...args: unknown[]) => (await (target.set as any)(...args), (target.set as any)(...args));
        const v = Reflect.get(target, prop, receiver);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const store = redisStore(resending, { prefix: "t7:" });
    expect(await store.claim("gemini:resent")).toBe("new");
    expect(await redisStore(real, { prefix: "t7:" }).claim("gemini:resent")).toBe("in_progress");
    await store.release("gemini:resent");
    expect(await c.get(store.keyOf("gemini:resent"))).toBeNull();
  });

  it("rejects clients it does not know and bad options, at construction", () => {
    expect(() => redisStore({} as never)).toThrow(/ioredis client|node-redis/);
    expect(() => redisStore(null as never)).toThrow(TypeError);
    const c = new Redis({ lazyConnect: true });
    expect(() => redisStore(c, { leaseMs: 0 })).toThrow(/leaseMs/);
    expect(() => redisStore(c, { doneTtlMs: -1 })).toThrow(/doneTtlMs/);
    expect(() => redisStore(c, { timeoutMs: Number.NaN })).toThrow(/timeoutMs/);
    c.disconnect();
  });

  it("node-redis client never connected: claim rejects with a message saying to connect it", async () => {
    const c = createClient({ url: redis.server.url });
    await expect(redisStore(c).claim("x")).rejects.toThrow(/client\.connect\(\)/);
  });

  it("through handle(): two receivers on one Redis answer received, then duplicate; a failed handler is retried on the other", async () => {
    const effects: string[] = [];
    let failOnce = true;
    const mk = async (kind: ClientKind) =>
      createGeminiWebhooks({
        secret: SECRET,
        now: clock(),
        idempotency: redisStore((await open(kind)).client, { prefix: "t5:" }),
        on: {
          "batch.succeeded": (e, ctx) => void effects.push(`${kind}:${ctx.webhookId}`),
          "batch.failed": () => {
            if (failOnce) {
              failOnce = false;
              throw new Error("boom");
            }
            effects.push("failed-ok");
          },
        },
      } as GeminiWebhooksOptions);
    const [a, b] = [await mk("ioredis"), await mk("node-redis")];
    const d = signed(undefined, { id: "msg_h1" });
    expect((await a.handle({ ...d, method: "POST" })).body).toEqual({ status: "received" });
    expect((await b.handle({ ...d, method: "POST" })).body).toEqual({ status: "duplicate" });
    const f = signed({ type: "batch.failed", data: { id: "f", error_code: "X", error_message: "y" } }, { id: "msg_h2" });
    const r1 = await a.handle(f);
    expect([r1.status, (r1.body as { error: { code: string } }).error.code]).toEqual([500, "handler_failed"]);
    expect((await b.handle(f)).body).toEqual({ status: "received" });
    expect((await a.handle(f)).body).toEqual({ status: "duplicate" });
    expect(effects).toEqual(["ioredis:msg_h1", "failed-ok"]);
  });
});

describeRedis("redisStore when Redis is down", () => {
  let server: RedisServer;
  const clients: TestClient[] = [];
  beforeEach(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.dispose();
  });

  for (const kind of CLIENT_KINDS) {
    it(`${kind}, fail-fast client: handle() answers 503 store_unavailable and runs no handler; after Redis is back it processes once`, async () => {
      const c = await makeClient(kind, server.url);
      clients.push(c);
      let runs = 0;
      const wh = createGeminiWebhooks({ secret: SECRET, now: clock(), idempotency: redisStore(c.client), on: { "*": () => void runs++ } } as GeminiWebhooksOptions);
      await server.stop();
      const d = signed(undefined, { id: `msg_down_${kind}` });
      const r = await wh.handle(d);
      expect([r.status, r.body]).toMatchObject([503, { error: { code: "store_unavailable" } }]);
      expect(runs).toBe(0);
      await server.start();
      let ok: unknown;
      await until(async () => {
        ok = (await wh.handle(d)).body;
        return (ok as { status?: string }).status !== undefined;
      }, "the client to reconnect");
      expect(ok).toEqual({ status: "received" });
      expect((await wh.handle(d)).body).toEqual({ status: "duplicate" });
      expect(runs).toBe(1);
      await server.dispose();
    });

    it(`${kind}, default client (offline queue on): the store's own timeout answers for it`, async () => {
      const c = await makeClient(kind, server.url, { failFast: false });
      clients.push(c);
      const store = redisStore(c.client, { timeoutMs: 300 });
      await server.stop();
      // Once the client has seen the connection drop, a command waits in its offline queue (no answer ever
      // comes, only our timeout). Sent before that, it would fail with the socket instead ("Socket closed").
      await until(() => !c.ready(), "the client to notice that Redis is gone");
      await expect(store.claim("gemini:slow")).rejects.toBeInstanceOf(RedisTimeoutError);
      await server.dispose();
    });
  }

  for (const kind of CLIENT_KINDS) {
    it(`${kind}: a complete that failed while Redis was down is recorded once it is back`, async () => {
      await server.dispose();
      server = await startRedis({ persistent: true });
      const c = await makeClient(kind, server.url);
      clients.push(c);
      const store = redisStore(c.client, { prefix: "late:" });
      expect(await store.claim("gemini:late")).toBe("new");
      await server.stop();
      await expect(store.complete("gemini:late")).rejects.toThrow();
      await server.start();
      await until(async () => {
        try {
          return (await c.get(store.keyOf("gemini:late"))) === "d";
        } catch {
          return false;
        }
      }, "the background complete");
      await server.dispose();
    });
  }

  it("a claim that timed out but reached Redis later is given back (no 60 s block for the retry)", async () => {
    const c = await makeClient("ioredis", server.url, { failFast: false });
    clients.push(c);
    const store = redisStore(c.client, { prefix: "ghost:", timeoutMs: 200 });
    await server.stop();
    await until(() => !c.ready(), "the client to notice that Redis is gone");
    await expect(store.claim("gemini:ghost")).rejects.toBeInstanceOf(RedisTimeoutError);
    await server.start(); // ioredis reconnects and sends the queued SET NX: it lands, then is released
    const probe = await makeClient("ioredis", server.url);
    clients.push(probe);
    const stats = async () => (await (probe.client as Redis).info("commandstats")).match(/cmdstat_(set|eval):calls=(\d+)/g) ?? [];
    await until(async () => (await stats()).length === 2, "the late SET and its release (EVAL) to reach Redis");
    expect(await probe.get(store.keyOf("gemini:ghost"))).toBeNull();
    expect(await redisStore(probe.client, { prefix: "ghost:" }).claim("gemini:ghost")).toBe("new");
    await server.dispose();
  });
});
