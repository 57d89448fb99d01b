// Redis clients for the tests, configured as docs/redis.md recommends (fail fast when Redis is down).
import { Redis, type RedisOptions } from "ioredis";
import { createClient } from "redis";
import { afterAll, beforeAll } from "vitest";
import { startRedis, type RedisServer } from "./redis-server.js";

export type ClientKind = "ioredis" | "node-redis";
export const CLIENT_KINDS: ClientKind[] = ["ioredis", "node-redis"];

export interface TestClient {
  kind: ClientKind;
  /** The raw client, handed to redisStore. */
  client: Redis | ReturnType<typeof createClient>;
  /** Plain commands for assertions, the same over both clients. */
  get(key: string): Promise<string | null>;
  pttl(key: string): Promise<number>;
  /** The client's own view: connected and ready for commands. */
  ready(): boolean;
  del(key: string): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** ioredis: no offline queue and one retry, so a down Redis fails the command at once. */
export const IOREDIS_FAIL_FAST: RedisOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true };

export async function makeClient(kind: ClientKind, url: string, opts: { failFast?: boolean } = {}): Promise<TestClient> {
  const failFast = opts.failFast ?? true;
  if (kind === "ioredis") {
    const c = new Redis(url, failFast ? IOREDIS_FAIL_FAST : { lazyConnect: true });
    c.on("error", () => {});
    await c.connect();
    return {
      kind,
      client: c,
      get: (k) => c.get(k),
      pttl: (k) => c.pttl(k),
      ready: () => c.status === "ready",
      del: async (k) => void (await c.del(k)),
      flush: async () => void (await c.flushall()),
      close: async () => void c.disconnect(),
    };
  }
  const c = createClient({ url, ...(failFast ? { disableOfflineQueue: true } : {}) });
  c.on("error", () => {});
  await c.connect();
  return {
    kind,
    client: c,
    get: async (k) => (await c.get(k)) as string | null,
    pttl: (k) => c.pTTL(k),
    ready: () => c.isReady,
    del: async (k) => void (await c.del(k)),
    flush: async () => void (await c.flushAll()),
    close: async () => {
      if (c.isOpen) c.destroy();
    },
  };
}

/**
 * A redis-server for a describe block (started in beforeAll, disposed in afterAll) and `open(kind)`, a client
 * of that kind on it, closed in afterAll too.
 */
export function useRedis(options: { persistent?: boolean } = {}): { readonly server: RedisServer; open(kind: ClientKind, o?: { failFast?: boolean }): Promise<TestClient> } {
  let server: RedisServer | undefined;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    server = await startRedis(options);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await server?.dispose();
  });
  const started = () => {
    if (!server) throw new Error("useRedis: the server starts in beforeAll");
    return server;
  };
  return {
    get server() {
      return started();
    },
    async open(kind, o) {
      const c = await makeClient(kind, started().url, o);
      clients.push(c);
      return c;
    },
  };
}
