import type { RedisDeadLetters } from "@gemini-webhooks/redis";
import { CliError } from "./output.js";
import { maskUrl, maskUrls, printable } from "./text.js";

/** An open dead-letter store on Redis, and a way to close its client. */
export interface RedisDeadLetterConnection {
  store: RedisDeadLetters;
  close(): Promise<void>;
}

const INSTALL = "npm install --save-dev @gemini-webhooks/redis ioredis";

function reason(e: unknown): string {
  const err = e as { code?: string; message?: string; errors?: { code?: string }[] };
  return maskUrls(String(err.code ?? err.errors?.[0]?.code ?? err.message ?? e))
}

/**
 * Connects to Redis with whichever client the project has (ioredis, else node-redis), failing fast when Redis
 * is down, and opens the dead-letter store of `@gemini-webhooks/redis` on it. Both are optional peers of this
 * package: loaded here, only by the commands that need them.
 */
export async function openDeadLetters(
  url: string,
  prefix: string | undefined,
  onCorrupt?: (id: string, error: Error) => void,
): Promise<RedisDeadLetterConnection> {
  let redisPkg: typeof import("@gemini-webhooks/redis");
  try {
    redisPkg = await import("@gemini-webhooks/redis");
  } catch {
    throw new CliError(`dead-letters needs @gemini-webhooks/redis and a Redis client: ${INSTALL}`, 1);
  }
  const options = { ...(prefix !== undefined ? { prefix } : {}), ...(onCorrupt ? { onCorrupt } : {}) };
  const shown = printable(maskUrl(url));
  const io = await import("ioredis").catch(() => undefined);
  if (io) {
    const client = new io.Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => null });
    let cause: unknown;
    client.on("error", (e) => (cause ??= e));
    try {
      await client.connect();
    } catch (e) {
      client.disconnect();
      throw new CliError(`cannot connect to Redis at ${shown}: ${reason(cause ?? e)}`, 1);
    }
    return { store: redisPkg.redisDeadLetters(client, options), close: async () => void (await client.quit().catch(() => client.disconnect())) };
  }
  const nodeRedis = await import("redis").catch(() => undefined);
  if (!nodeRedis) throw new CliError(`dead-letters needs a Redis client (ioredis or redis): ${INSTALL}`, 1);
  const client = nodeRedis.createClient({ url, disableOfflineQueue: true, socket: { reconnectStrategy: false } });
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (e) {
    throw new CliError(`cannot connect to Redis at ${shown}: ${reason(e)}`, 1);
  }
  return { store: redisPkg.redisDeadLetters(client, options), close: async () => void (await client.quit().catch(() => client.destroy())) };
}
