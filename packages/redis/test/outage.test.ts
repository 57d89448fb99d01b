// Redis stopped mid-run under load: receivers answer 503 store_unavailable (never run a handler they could not
// claim), nothing runs twice, and once Redis is back and the sender retries, every delivery is processed once.
// Redis here persists (append-only file, fsync always), as an idempotency store in production should: a Redis
// that loses its data on restart also forgets which deliveries were processed.
import { once } from "node:events";
import type { Server } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import express from "express";
import { geminiWebhooks } from "@gemini-webhooks/express";
import { redisStore } from "@gemini-webhooks/redis";
import { allFixtures, signStatic } from "@gemini-webhooks/testing";
import { SECRET } from "../../../test/support/receiver.js";
import { makeClient, type ClientKind, type TestClient } from "../../../test/support/redis-clients.js";
import { describeRedis, startRedis, type RedisServer } from "../../../test/support/redis-server.js";

const DELIVERIES = 600;
const IN_FLIGHT = 30;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeRedis("Redis stopped mid-run", () => {
  let server: RedisServer;
  const clients: TestClient[] = [];
  const servers: Server[] = [];

  beforeAll(async () => {
    server = await startRedis({ persistent: true });
  });
  afterAll(async () => {
    for (const s of servers) s.close();
    await Promise.all(clients.map((c) => c.close()));
    await server?.dispose();
  });

  it(`${DELIVERIES} deliveries to two receivers; Redis stops and comes back: 503s, then each handler effect exactly once`, { timeout: 90_000 }, async () => {
    const runs = new Map<string, number>();
    const doubles: string[] = [];
    const storeErrors: string[] = [];

    async function receiver(kind: ClientKind): Promise<string> {
      const c = await makeClient(kind, server.url); // fail-fast settings, as docs/redis.md recommends
      clients.push(c);
      const app = express();
      app.post(
        "/gemini-callback",
        geminiWebhooks({
          secret: SECRET,
          idempotency: redisStore(c.client, { prefix: "out:" }),
          onError: (_e, ctx) => void storeErrors.push(ctx.stage),
          on: {
            "*": async (_event, ctx) => {
              await sleep(10 + Math.random() * 30);
              const n = (runs.get(ctx.webhookId) ?? 0) + 1;
              runs.set(ctx.webhookId, n);
              if (n > 1) doubles.push(ctx.webhookId);
            },
          },
        }),
      );
      const s = app.listen(0, "127.0.0.1");
      servers.push(s);
      await once(s, "listening");
      return `http://127.0.0.1:${(s.address() as { port: number }).port}/gemini-callback`;
    }
    const urls = [await receiver("ioredis"), await receiver("node-redis")];

    const answers = { received: 0, duplicate: 0, in_progress: 0, unavailable: 0, other: [] as string[] };
    async function deliver(url: string, d: ReturnType<typeof signStatic>): Promise<void> {
      for (let attempt = 0; attempt < 400; attempt++) {
        const res = await fetch(url, { method: "POST", headers: d.headers, body: d.body });
        const body = (await res.json()) as { status?: string; error?: { code: string } };
        if (res.status === 200 && (body.status === "received" || body.status === "duplicate")) return void answers[body.status]++;
        if (res.status === 503 && body.error?.code === "store_unavailable") answers.unavailable++;
        else if (res.status === 409 && body.error?.code === "in_progress") answers.in_progress++;
        else return void answers.other.push(`${res.status} ${JSON.stringify(body)}`);
        await sleep(Math.min(20 + attempt * 10, 250)); // the sender backs off and retries
      }
      answers.other.push("gave up");
    }

    // Redis goes away once a quarter of the deliveries were processed, and comes back after 30 refusals.
    const outage = (async () => {
      while (answers.received < DELIVERIES / 4) await sleep(5);
      await server.stop();
      while (answers.unavailable < 30) await sleep(5);
      await server.start();
    })();

    const events = allFixtures();
    const ids: string[] = [];
    let next = 0;
    const lane = async () => {
      while (next < DELIVERIES) {
        const i = next++;
        const id = `msg_out_${i}`;
        ids.push(id);
        const d = signStatic({ event: events[i % events.length], secret: SECRET, id });
        await Promise.all(i % 2 ? [deliver(urls[0]!, d), deliver(urls[1]!, d)] : [deliver(urls[1]!, d), deliver(urls[0]!, d)]);
      }
    };
    await Promise.all([...Array.from({ length: IN_FLIGHT }, lane), outage]);

    expect(answers.other).toEqual([]);
    expect(answers.unavailable).toBeGreaterThanOrEqual(30);
    expect(doubles).toEqual([]);
    expect(runs.size).toBe(DELIVERIES);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(answers.received).toBe(DELIVERIES);
    expect(answers.duplicate).toBe(DELIVERIES);
    expect(storeErrors).toContain("store");
    console.log(
      `outage: ${answers.unavailable} answers 503 store_unavailable, ${answers.in_progress} 409 in_progress, ` +
        `${storeErrors.filter((s) => s === "complete").length} completes recorded late; every delivery ran once`,
    );
  });
});
