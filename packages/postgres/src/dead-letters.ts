import { GeminiWebhooksConfigError, type DeadLetter, type DeadLetterInput, type DeadLetterStore } from "@gemini-webhooks/core";
import { deadLetterLimit } from "@gemini-webhooks/core/extend";
import type { Pool } from "pg";
import { storedKey } from "./keys.js";
import { DEFAULT_ACQUIRE_TIMEOUT_MS, DEFAULT_STATEMENT_TIMEOUT_MS, checkMs, checkPool, guardPool, onFirstUse, runner } from "./pool.js";
import { migrateOn, schemaName } from "./schema.js";

export interface PostgresDeadLettersOptions {
  /** The app's pg Pool. */
  pool: Pool;
  /** The schema of the store's tables (created on first use). Default "gemini_webhooks". */
  schema?: string;
  /** Most entries kept; past it the least recently failed are dropped. Default 10,000. */
  maxEntries?: number;
  /** Longest wait for a pool client, ms. Default 3000. */
  acquireTimeoutMs?: number;
  /** Longest wait for one statement, ms. Default 5000. */
  statementTimeoutMs?: number;
  /** A row that cannot be read back (edited by hand, corrupt) is skipped and reported here. */
  onCorrupt?: (id: string, error: unknown) => void;
  /** Errors of idle pool clients, caught so they cannot kill the process. */
  onError?: (error: unknown) => void;
}

/** The Postgres dead-letter store: core's `DeadLetterStore`, one list for every replica on the database. */
export interface PostgresDeadLetters extends DeadLetterStore {
  record(entry: DeadLetterInput, at: number): Promise<void>;
  remove(id: string): Promise<void>;
  get(id: string): Promise<DeadLetter | undefined>;
  /** Newest failure first; never more than maxEntries. */
  list(options?: { limit?: number }): Promise<DeadLetter[]>;
  /** How many entries there are. */
  size(): Promise<number>;
  readonly maxEntries: number;
}

type Stored = Omit<DeadLetter, "attempts" | "firstSeen" | "lastSeen">;
interface Row {
  id: string;
  entry: string;
  attempts: number;
  first_seen: string;
  last_seen: string;
}

/**
 * Dead letters on Postgres: deliveries whose handlers failed, kept across restarts and shared by every replica,
 * in the store's schema. Pass it as `deadLetters` to createGeminiWebhooks; list and replay them with
 * `webhooks.deadLetters` (a replay goes through the same claim rules, and gets `ctx.db` with a transactional store).
 *
 * `record` is one upsert (attempts + 1, the earliest firstSeen, the latest lastSeen, whatever order replicas write
 * in), then drops the entries past maxEntries, least recently failed first. The entry is kept as JSON text, so any
 * id and any event (NUL characters included) round-trips.
 */
export function postgresDeadLetters(options: PostgresDeadLettersOptions): PostgresDeadLetters {
  if (options === null || typeof options !== "object") throw new GeminiWebhooksConfigError("postgresDeadLetters", "postgresDeadLetters needs options: postgresDeadLetters({ pool }).");
  checkPool("postgresDeadLetters", options.pool);
  const s = schemaName("postgresDeadLetters", options.schema);
  const maxEntries = options.maxEntries ?? 10_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new GeminiWebhooksConfigError("postgresDeadLetters.maxEntries", "postgresDeadLetters: maxEntries must be an integer ≥ 1.");
  }
  checkMs("postgresDeadLetters", "acquireTimeoutMs", options.acquireTimeoutMs, 1);
  checkMs("postgresDeadLetters", "statementTimeoutMs", options.statementTimeoutMs, 1);
  const { pool } = options;
  const acquireMs = options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS;
  const statementMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  guardPool(pool, options.onError);
  const db = runner(pool, acquireMs, statementMs, onFirstUse(pool, acquireMs, statementMs, (c) => migrateOn(c, s)));
  const table = `${s}.dead_letters`;

  function read(row: Row): DeadLetter | undefined {
    try {
      const stored = JSON.parse(row.entry) as Stored;
      if (stored === null || typeof stored !== "object" || typeof stored.id !== "string" || typeof stored.event !== "object" || stored.event === null) {
        throw new TypeError("not a dead-letter entry");
      }
      return { ...stored, attempts: Number(row.attempts), firstSeen: Number(row.first_seen), lastSeen: Number(row.last_seen) };
    } catch (e) {
      options.onCorrupt?.(row.id, e);
      return undefined;
    }
  }

  return {
    maxEntries,
    async record(entry, at) {
      const { id, event, ctx, error } = entry;
      const stored: Stored = { id, event, ctx, error: { name: error.name, message: error.message, ...(error.code !== undefined ? { code: error.code } : {}) } };
      const t = Math.floor(at);
      await db.query(
        `INSERT INTO ${table} AS d (id, entry, attempts, first_seen, last_seen) VALUES ($1, $2, 1, $3, $3)
         ON CONFLICT (id) DO UPDATE SET entry = EXCLUDED.entry, attempts = d.attempts + 1,
           first_seen = LEAST(d.first_seen, EXCLUDED.first_seen), last_seen = GREATEST(d.last_seen, EXCLUDED.last_seen)`,
        [storedKey(id), JSON.stringify(stored), t],
        "a dead-letter record",
      );
      await db.query(
        `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} ORDER BY last_seen DESC, id OFFSET $1)`,
        [maxEntries],
        "a dead-letter trim",
      );
    },
    async remove(id) {
      await db.query(`DELETE FROM ${table} WHERE id = $1`, [storedKey(id)], "a dead-letter remove");
    },
    async get(id) {
      const r = await db.query<Row & Record<string, unknown>>(`SELECT id, entry, attempts, first_seen, last_seen FROM ${table} WHERE id = $1`, [storedKey(id)], "a dead-letter get");
      return r.rows[0] ? read(r.rows[0]) : undefined;
    },
    async list(opts = {}) {
      const limit = deadLetterLimit(opts.limit, maxEntries);
      const r = await db.query<Row & Record<string, unknown>>(
        `SELECT id, entry, attempts, first_seen, last_seen FROM ${table} ORDER BY last_seen DESC, id LIMIT $1`,
        [Math.min(limit, maxEntries)],
        "a dead-letter list",
      );
      const out: DeadLetter[] = [];
      for (const row of r.rows) {
        const d = read(row);
        if (d) out.push(d);
      }
      return out;
    },
    async size() {
      const r = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`, [], "a dead-letter count");
      return Math.min(Number(r.rows[0]?.n ?? 0), maxEntries);
    },
  };
}
