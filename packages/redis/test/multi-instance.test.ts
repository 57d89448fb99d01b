// Two receivers in separate processes share one Redis; every delivery is sent to both (as a load balancer plus
// Gemini's at-least-once retries would do). Every handler effect must happen exactly once.
import { afterAll, beforeAll, expect, it } from "vitest";
import { Redis } from "ioredis";
import { allFixtures, signStatic } from "@gemini-webhooks/testing";
import { SECRET } from "../../../test/support/receiver.js";
import { ensureBuilt, startChild, type Child } from "./processes.js";
import { describeRedis, startRedis, type RedisServer } from "../../../test/support/redis-server.js";

const DELIVERIES = 2000;
const IN_FLIGHT = 50; // deliveries at a time, so 100 requests in flight
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeRedis("two receiver processes, one Redis, every delivery sent to both", () => {
  let server: RedisServer;
  let redis: Redis;
  const children: Child[] = [];

  beforeAll(async () => {
    ensureBuilt();
    server = await startRedis();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => c.kill()));
    redis?.disconnect();
    await server?.dispose();
  });

  it(`${DELIVERIES} deliveries × 2 receivers (ioredis and node-redis): each handler effect exactly once`, { timeout: 90_000 }, async () => {
    const env = { REDIS_URL: server.url, SECRET, PREFIX: "mi:" };
    const a = startChild("receiver.mjs", { ...env, CLIENT: "ioredis", NAME: "A" });
    const b = startChild("receiver.mjs", { ...env, CLIENT: "node-redis", NAME: "B" });
    children.push(a, b);
    const urls = await Promise.all([a, b].map(async (c) => `http://127.0.0.1:${(await c.waitFor(/READY (\d+)/))[1]}/gemini-callback`));

    const events = allFixtures();
    const answers = { received: 0, duplicate: 0, in_progress: 0, other: [] as string[] };
    const receivedPerId = new Map<string, number>();

    /** Sends one copy until it gets a final answer, retrying 409 like Gemini does. */
    async function deliver(url: string, d: ReturnType<typeof signStatic>): Promise<void> {
      for (let attempt = 0; attempt < 200; attempt++) {
        const res = await fetch(url, { method: "POST", headers: d.headers, body: d.body });
        const body = (await res.json()) as { status?: string; error?: { code: string } };
        if (res.status === 200 && body.status === "received") {
          answers.received++;
          receivedPerId.set(d.headers["webhook-id"], (receivedPerId.get(d.headers["webhook-id"]) ?? 0) + 1);
          return;
        }
        if (res.status === 200 && body.status === "duplicate") return void answers.duplicate++;
        if (res.status === 409 && body.error?.code === "in_progress") {
          answers.in_progress++;
          await sleep(5 + attempt * 2);
          continue;
        }
        answers.other.push(`${res.status} ${JSON.stringify(body)}`);
        return;
      }
      answers.other.push("gave up after 200 attempts");
    }

    const ids: string[] = [];
    for (let start = 0; start < DELIVERIES; start += IN_FLIGHT) {
      const batch: Promise<void>[] = [];
      for (let i = start; i < Math.min(start + IN_FLIGHT, DELIVERIES); i++) {
        const id = `msg_mi_${i}`;
        ids.push(id);
        const d = signStatic({ event: events[i % events.length], secret: SECRET, id });
        // Both copies at once; which one is first differs from delivery to delivery.
        const order = i % 2 ? urls : [...urls].reverse();
        batch.push(deliver(order[0]!, d), deliver(order[1]!, d));
      }
      await Promise.all(batch);
    }

    expect(answers.other).toEqual([]);
    expect(answers.received).toBe(DELIVERIES);
    expect(answers.duplicate).toBe(DELIVERIES);
    expect([...receivedPerId.values()].every((n) => n === 1)).toBe(true);

    const effects = await redis.hgetall("mi:effects");
    expect(Object.keys(effects).sort()).toEqual([...ids].sort());
    expect(Object.entries(effects).filter(([, n]) => n !== "1")).toEqual([]);
    const by = await redis.hgetall("mi:by");
    expect(Number(by.A) + Number(by.B)).toBe(DELIVERIES);
    expect(Number(by.A)).toBeGreaterThan(0); // both replicas did part of the work
    expect(Number(by.B)).toBeGreaterThan(0);
    console.log(`multi-instance: A ran ${by.A}, B ran ${by.B}; ${answers.in_progress} answers were 409 in_progress (then retried)`);
  });
});
