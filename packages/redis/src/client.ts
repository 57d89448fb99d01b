/**
 * The few commands the store needs, over either client: ioredis (`Redis`, `Cluster`) or node-redis v4/v5
 * (`createClient`, `createCluster`). Told apart by API shape, not by import, so neither is a dependency.
 */

/** An ioredis client (`new Redis(…)` or `new Cluster(…)`). */
export interface IoRedisLike {
  set(...args: any[]): Promise<unknown>;
  get(key: string): Promise<unknown>;
  eval(...args: any[]): Promise<unknown>;
  defineCommand(...args: any[]): unknown;
}

/** A node-redis v4/v5 client (`createClient()` or `createCluster()`), connected. */
export interface NodeRedisLike {
  set(...args: any[]): Promise<unknown>;
  get(key: any): Promise<unknown>;
  eval(script: any, options?: any): Promise<unknown>;
  isOpen?: boolean;
}

export type RedisClientLike = IoRedisLike | NodeRedisLike;

export interface StoreCommands {
  readonly kind: "ioredis" | "node-redis";
  /** SET key value NX PX ms: true when set. */
  setNxPx(key: string, value: string, ms: number): Promise<boolean>;
  /** SET key value PX ms. */
  setPx(key: string, value: string, ms: number): Promise<void>;
  get(key: string): Promise<string | null>;
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
}

const asString = (v: unknown): string | null => (v === null || v === undefined ? null : typeof v === "string" ? v : String(v));

function isIoRedis(c: object): c is IoRedisLike {
  return typeof (c as IoRedisLike).defineCommand === "function" && typeof (c as IoRedisLike).set === "function";
}

function isNodeRedis(c: object): c is NodeRedisLike {
  const n = c as NodeRedisLike & { sendCommand?: unknown };
  return typeof n.set === "function" && typeof n.eval === "function" && typeof n.sendCommand === "function";
}

function ioredis(c: IoRedisLike): StoreCommands {
  return {
    kind: "ioredis",
    setNxPx: async (key, value, ms) => (await c.set(key, value, "PX", ms, "NX")) === "OK",
    setPx: async (key, value, ms) => void (await c.set(key, value, "PX", ms)),
    get: async (key) => asString(await c.get(key)),
    eval: (script, keys, args) => c.eval(script, keys.length, ...keys, ...args),
  };
}

const NOT_OPEN =
  "The node-redis client is not connected: call `await client.connect()` before the first delivery (node-redis does not connect by itself).";

function nodeRedis(c: NodeRedisLike): StoreCommands {
  const open = () => {
    if (c.isOpen === false) throw new Error(NOT_OPEN);
  };
  return {
    kind: "node-redis",
    setNxPx: async (key, value, ms) => {
      open();
      // `{ PX, NX }` is understood by v4 and v5 (v5 also has `{ expiration, condition }`).
      return (await c.set(key, value, { PX: ms, NX: true })) !== null;
    },
    setPx: async (key, value, ms) => {
      open();
      await c.set(key, value, { PX: ms });
    },
    get: async (key) => {
      open();
      return asString(await c.get(key));
    },
    eval: async (script, keys, args) => {
      open();
      return c.eval(script, { keys, arguments: args });
    },
  };
}

/** Wraps an ioredis or node-redis client; throws a clear TypeError for anything else. */
export function storeCommands(client: RedisClientLike): StoreCommands {
  if (client !== null && typeof client === "object") {
    if (isIoRedis(client)) return ioredis(client);
    if (isNodeRedis(client)) return nodeRedis(client);
  }
  throw new TypeError(
    "redisStore(client): pass an ioredis client (new Redis(url)) or a connected node-redis v4/v5 client (await createClient({ url }).connect()).",
  );
}
