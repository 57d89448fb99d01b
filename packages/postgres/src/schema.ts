import { GeminiWebhooksConfigError } from "@gemini-webhooks/core";
import type { Pool, PoolClient } from "pg";

/** The default schema: every table of this package lives in it. */
export const DEFAULT_SCHEMA = "gemini_webhooks";

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/i;

/**
 * The schema name, checked as a plain SQL identifier and quoted: it is spliced into statements (Postgres
 * cannot bind identifiers), so anything else is a configuration error at construction, never SQL.
 */
export function schemaName(fn: string, schema: unknown = DEFAULT_SCHEMA): string {
  if (typeof schema !== "string" || !IDENTIFIER.test(schema)) {
    throw new GeminiWebhooksConfigError(
      `${fn}.schema`,
      `${fn}: schema must be a plain identifier (letters, digits and "_", not starting with a digit, at most 63 characters), got ${JSON.stringify(String(schema)).slice(0, 80)}.`,
    );
  }
  return `"${schema}"`;
}

/** Tables and indexes, all idempotent. `s` is the quoted schema. */
function ddl(s: string): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.idempotency (
  key text PRIMARY KEY,
  done boolean NOT NULL,
  token text,
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotency_expires_at ON ${s}.idempotency (expires_at);
CREATE TABLE IF NOT EXISTS ${s}.kv (
  key text PRIMARY KEY,
  value text NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.dead_letters (
  id text PRIMARY KEY,
  entry text NOT NULL,
  attempts integer NOT NULL,
  first_seen bigint NOT NULL,
  last_seen bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_last_seen ON ${s}.dead_letters (last_seen DESC, id);`;
}

/** Arbitrary, fixed: the advisory lock's first half ("gw" in ASCII); the second is the schema's hash. */
const LOCK_CLASS = 0x6777;

/** Creates the tables on `client` in one transaction, under an advisory lock: replicas starting at once do not race. */
export async function migrateOn(client: PoolClient, s: string): Promise<void> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [LOCK_CLASS, s]);
    await client.query(ddl(s));
    await client.query("COMMIT");
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {});
    throw e;
  }
}

export interface MigrateOptions {
  /** Default "gemini_webhooks". */
  schema?: string;
}

/**
 * Creates the schema, the idempotency, small-values and dead-letter tables and their indexes, if missing.
 * Safe to run from every replica at once and again on every deploy. The store and the dead-letter list do it
 * on first use too; run it in your deploy pipeline when the app's database role may not create tables.
 */
export async function migrate(pool: Pool, options: MigrateOptions = {}): Promise<void> {
  const s = schemaName("migrate", options.schema);
  const client = await pool.connect();
  try {
    await migrateOn(client, s);
    client.release();
  } catch (e) {
    client.release(e as Error);
    throw e;
  }
}
