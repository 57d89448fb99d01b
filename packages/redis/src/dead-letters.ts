import { storeCommands, type RedisClientLike, type StoreCommands } from "./client.js";
import { checkMs, withTimeout } from "./timeout.js";
import type { DeadLetter, DeadLetterStore } from "@gemini-webhooks/core";
import { deadLetterLimit } from "@gemini-webhooks/core/extend";

export interface RedisDeadLettersOptions {
  /**
   * Prepended to the four keys (`…{dead-letters}:event`, `:attempts`, `:first`, `:index`). Their `{dead-letters}`
   * hash tag keeps them in one Redis Cluster slot. Default "gemini-webhooks:".
   */
  prefix?: string;
  /** Most entries kept; past it the least recently failed are dropped. Default 10 000. */
  maxEntries?: number;
  /** Longest wait for one Redis answer, ms (0: as long as the client waits). Default 2000. */
  timeoutMs?: number;
  /**
   * Told of an entry that cannot be read (not JSON, or not the shape of a dead letter: written by hand, by
   * another tool, or truncated). `list()` and `get()` skip it; the rest are returned. Default: console.warn.
   */
  onCorrupt?: (id: string, error: Error) => void;
}

/** The Redis dead-letter store: core's `DeadLetterStore`, one list for every instance on the same Redis and prefix. */
export interface RedisDeadLetters extends DeadLetterStore {
  record(entry: Omit<DeadLetter, "attempts" | "firstSeen" | "lastSeen">, at: number): Promise<void>;
  remove(id: string): Promise<void>;
  get(id: string): Promise<DeadLetter | undefined>;
  list(options?: { limit?: number }): Promise<DeadLetter[]>;
  /** How many entries there are. */
  size(): Promise<number>;
  /** Which client API was detected. */
  readonly kind: "ioredis" | "node-redis";
}

/**
 * Upserts one entry: the event, ctx and error are replaced by the latest failure's, `attempts` goes up by one,
 * `firstSeen` is the earliest and `lastSeen` (the index's score) the latest `at`, whatever order writes land in.
 * Then the oldest entries past maxEntries are dropped.
 */
const RECORD = `
local id, at, max = ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call("HSET", KEYS[1], id, ARGV[2])
redis.call("HINCRBY", KEYS[2], id, 1)
local first = redis.call("HGET", KEYS[3], id)
if not first or tonumber(first) > at then redis.call("HSET", KEYS[3], id, ARGV[3]) end
local last = redis.call("ZSCORE", KEYS[4], id)
if not last or tonumber(last) < at then redis.call("ZADD", KEYS[4], at, id) end
local over = redis.call("ZCARD", KEYS[4]) - max
if over > 0 then
  local old = redis.call("ZRANGE", KEYS[4], 0, over - 1)
  redis.call("ZREMRANGEBYRANK", KEYS[4], 0, over - 1)
  for _, o in ipairs(old) do
    redis.call("HDEL", KEYS[1], o)
    redis.call("HDEL", KEYS[2], o)
    redis.call("HDEL", KEYS[3], o)
  end
end
return 1`;

const REMOVE = `
redis.call("HDEL", KEYS[1], ARGV[1])
redis.call("HDEL", KEYS[2], ARGV[1])
redis.call("HDEL", KEYS[3], ARGV[1])
return redis.call("ZREM", KEYS[4], ARGV[1])`;

/** ARGV[1] = "list" (ARGV[2] = limit) or "get" (ARGV[2] = id). Returns id, lastSeen, json, attempts, firstSeen per entry. */
const READ = `
local ids
if ARGV[1] == "get" then
  if redis.call("ZSCORE", KEYS[4], ARGV[2]) then ids = { ARGV[2] } else ids = {} end
else
  ids = redis.call("ZREVRANGE", KEYS[4], 0, tonumber(ARGV[2]) - 1)
end
local out = {}
for _, id in ipairs(ids) do
  local json = redis.call("HGET", KEYS[1], id)
  if json then
    table.insert(out, id)
    table.insert(out, redis.call("ZSCORE", KEYS[4], id))
    table.insert(out, json)
    table.insert(out, redis.call("HGET", KEYS[2], id) or "1")
    table.insert(out, redis.call("HGET", KEYS[3], id) or "0")
  end
end
return out`;

type Stored = Omit<DeadLetter, "attempts" | "firstSeen" | "lastSeen">;

/** The stored JSON of one entry, checked for the shape every reader relies on. */
function parseStored(json: string): Stored {
  const v = JSON.parse(json) as Stored;
  const ok =
    v !== null &&
    typeof v === "object" &&
    typeof v.event === "object" &&
    v.event !== null &&
    typeof v.event.type === "string" &&
    typeof v.ctx === "object" &&
    v.ctx !== null &&
    typeof v.ctx.webhookId === "string" &&
    typeof v.ctx.scheme === "string" &&
    typeof v.error === "object" &&
    v.error !== null;
  if (!ok) throw new TypeError("the stored entry is not a dead letter (event, ctx and error expected)");
  return v;
}

/** The entries of a READ reply; one that cannot be read is reported and skipped, never fatal to the rest. */
function entries(reply: unknown, onCorrupt: (id: string, error: Error) => void): DeadLetter[] {
  const a = (Array.isArray(reply) ? reply : []).map((v) => (typeof v === "string" ? v : String(v)));
  const out: DeadLetter[] = [];
  for (let i = 0; i + 4 < a.length; i += 5) {
    let stored: Stored;
    try {
      stored = parseStored(a[i + 2]!);
    } catch (e) {
      try {
        onCorrupt(a[i]!, e instanceof Error ? e : new Error(String(e)));
      } catch {
        /* a failing report must not fail the listing */
      }
      continue;
    }
    out.push({ ...stored, id: a[i]!, attempts: Number(a[i + 3]), firstSeen: Number(a[i + 4]), lastSeen: Number(a[i + 1]) });
  }
  return out;
}

const warnCorrupt = (id: string, error: Error) => console.warn(`redisDeadLetters: skipped the unreadable dead letter "${id}": ${error.message}`);

function commands(client: RedisClientLike): StoreCommands {
  try {
    return storeCommands(client);
  } catch {
    throw new TypeError(
      "redisDeadLetters(client): pass an ioredis client (new Redis(url)) or a connected node-redis v4/v5 client (await createClient({ url }).connect()).",
    );
  }
}

/**
 * Dead letters on Redis: deliveries whose handlers failed, kept across restarts and shared by every instance.
 * Pass it as `deadLetters` to createGeminiWebhooks; list and replay them with `webhooks.deadLetters` or
 * `gemini-webhooks dead-letters list|replay --redis-url …`.
 *
 * Every call is one Lua script, so concurrent failures of one id from many instances count each attempt once
 * and never leave a half-written entry. Works with ioredis and node-redis v4/v5 (and their cluster clients).
 */
export function redisDeadLetters(client: RedisClientLike, options: RedisDeadLettersOptions = {}): RedisDeadLetters {
  const cmd = commands(client);
  checkMs("redisDeadLetters", "timeoutMs", options.timeoutMs, 0);
  const maxEntries = options.maxEntries ?? 10_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError("redisDeadLetters: maxEntries must be an integer ≥ 1.");
  const timeoutMs = options.timeoutMs ?? 2000;
  const base = `${options.prefix ?? "gemini-webhooks:"}{dead-letters}:`;
  const keys = [`${base}event`, `${base}attempts`, `${base}first`, `${base}index`];
  const run = (script: string, args: string[], what: string) => withTimeout(cmd.eval(script, keys, args), timeoutMs, what);
  if (options.onCorrupt !== undefined && typeof options.onCorrupt !== "function") throw new TypeError("redisDeadLetters: onCorrupt must be a function.");
  const onCorrupt = options.onCorrupt ?? warnCorrupt;

  return {
    kind: cmd.kind,
    async record(entry, at) {
      const { id, event, ctx, error } = entry;
      const stored: Stored = { id, event, ctx, error: { name: error.name, message: error.message, ...(error.code !== undefined ? { code: error.code } : {}) } };
      await run(RECORD, [id, JSON.stringify(stored), String(Math.floor(at)), String(maxEntries)], "a dead-letter record");
    },
    async remove(id) {
      await run(REMOVE, [id], "a dead-letter remove");
    },
    async get(id) {
      return entries(await run(READ, ["get", id], "a dead-letter get"), onCorrupt)[0];
    },
    async list(opts = {}) {
      const limit = deadLetterLimit(opts.limit, maxEntries);
      return entries(await run(READ, ["list", String(limit)], "a dead-letter list"), onCorrupt);
    },
    async size() {
      return Number(await run(`return redis.call("ZCARD", KEYS[4])`, [], "a dead-letter count"));
    },
  };
}
