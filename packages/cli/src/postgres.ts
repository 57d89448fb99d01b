import type { PostgresDeadLetters } from "@gemini-webhooks/postgres";
import type { Pool } from "pg";
import { parse, str } from "./args.js";
import { CliError, colorsFor, type CliIO } from "./output.js";
import { maskUrl, maskUrls, printable, printableJson } from "./text.js";

const INSTALL = "npm install --save-dev @gemini-webhooks/postgres pg";

/** The schema option: a plain SQL identifier (what @gemini-webhooks/postgres accepts), checked before connecting. */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/i;

/** A connection that fails within this is reported, not waited on. */
const CONNECT_TIMEOUT_MS = 10_000;

/** An open pool on the database, the @gemini-webhooks/postgres module, and a way to close the pool. */
export interface PostgresConnection {
  pool: Pool;
  pkg: typeof import("@gemini-webhooks/postgres");
  /** The URL as it may be printed: credentials masked, control characters escaped. */
  shown: string;
  close(): Promise<void>;
}

/** `--database-url`, else `$DATABASE_URL`; checked for the postgres:// shape (the message masks the password). */
export function databaseUrlOf(p: ReturnType<typeof parse>, io: CliIO, command: string): string {
  const url = str(p, "database-url") ?? io.env.DATABASE_URL;
  if (!url) throw new CliError(`missing --database-url (the Postgres your app uses, e.g. postgres://user@127.0.0.1:5432/app; or set DATABASE_URL) (see: gemini-webhooks ${command} --help)`);
  const bad = () => new CliError(`bad --database-url "${printable(maskUrl(url))}": expected postgres://user@host:port/database (or postgresql://)`);
  if (!/^postgres(ql)?:\/\//i.test(url)) throw bad();
  try {
    new URL(url);
  } catch {
    throw bad();
  }
  return url;
}

/** `--schema`: undefined for the package's default ("gemini_webhooks"); a hostile value is a usage error, never SQL. */
export function schemaOf(p: ReturnType<typeof parse>): string | undefined {
  const schema = str(p, "schema");
  if (schema !== undefined && !IDENTIFIER.test(schema)) {
    throw new CliError(`bad --schema "${printable(schema)}": a plain identifier (letters, digits and "_", not starting with a digit, at most 63 characters)`);
  }
  return schema;
}

function reason(e: unknown): string {
  const err = e as { code?: string; message?: string; errors?: { code?: string; message?: string }[] };
  return maskUrls(String(err.message || err.errors?.[0]?.message || err.code || e));
}

/**
 * Loads `pg` and `@gemini-webhooks/postgres` (optional peers of this package: only the commands that need them
 * load them) and opens a pool on `url`, failing fast when the database cannot be reached: one statement before
 * the command does anything.
 */
export async function openPostgres(url: string, command: string): Promise<PostgresConnection> {
  let pkg: typeof import("@gemini-webhooks/postgres");
  let pg: typeof import("pg");
  try {
    pkg = await import("@gemini-webhooks/postgres");
    const mod = (await import("pg")) as typeof import("pg") & { default?: typeof import("pg") };
    pg = mod.default ?? mod;
  } catch {
    throw new CliError(`${command} needs @gemini-webhooks/postgres and pg: ${INSTALL}`, 1);
  }
  const shown = printable(maskUrl(url));
  const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: "gemini-webhooks-cli" });
  // an idle client whose server goes away makes the pool emit "error": never a crash of the command
  pool.on("error", () => {});
  const close = async () => void (await pool.end().catch(() => {}));
  try {
    await pool.query("SELECT 1");
  } catch (e) {
    await close();
    throw new CliError(`cannot connect to Postgres at ${shown}: ${reason(e)}`, 1);
  }
  return { pool, pkg, shown, close };
}

/** The dead-letter store of `@gemini-webhooks/postgres` on `url`, and a way to close its pool. */
export async function openPostgresDeadLetters(
  url: string,
  schema: string | undefined,
  maxEntries: number,
  onCorrupt: (id: string, error: Error) => void,
): Promise<{ store: PostgresDeadLetters; close(): Promise<void> }> {
  const { pool, pkg, close } = await openPostgres(url, "dead-letters");
  const store = pkg.postgresDeadLetters({
    pool,
    ...(schema !== undefined ? { schema } : {}),
    maxEntries,
    onCorrupt: (id, e) => onCorrupt(id, e instanceof Error ? e : new Error(String(e))),
  });
  return { store, close };
}

const OPTIONS = {
  "database-url": { type: "string" },
  schema: { type: "string" },
  json: { type: "boolean" },
} as const;

async function tablesIn(pool: Pool, schema: string): Promise<string[]> {
  const r = await pool.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
    [schema],
  );
  return r.rows.map((row) => row.table_name);
}

/**
 * `gemini-webhooks postgres migrate`: creates the schema and tables of @gemini-webhooks/postgres (idempotency,
 * small values, dead letters) where they are missing, as `migrate(pool, { schema })` does, and says which it
 * created. Safe to run again (then nothing is created) and from several deploys at once.
 */
export async function postgresCommand(args: string[], io: CliIO, showHelp: () => number): Promise<number> {
  const p = parse("postgres", args, OPTIONS);
  if (p.values.help) return showHelp();
  const [action, ...rest] = p.positionals;
  if (action !== "migrate") {
    throw new CliError(action === undefined ? "missing action: migrate (see: gemini-webhooks postgres --help)" : `unknown action "${printable(action)}": use migrate (see: gemini-webhooks postgres --help)`);
  }
  if (rest.length) throw new CliError(`migrate takes no arguments, got "${printable(rest.join(" "))}"`);
  const url = databaseUrlOf(p, io, "postgres");
  const schema = schemaOf(p);
  const json = p.values.json === true;
  const { pool, pkg, shown, close } = await openPostgres(url, "postgres migrate");
  try {
    const name = schema ?? pkg.DEFAULT_SCHEMA;
    const before = await tablesIn(pool, name);
    try {
      await pkg.migrate(pool, { schema: name });
    } catch (e) {
      throw new CliError(`migrating ${shown} failed: ${reason(e)}`, 1);
    }
    const after = await tablesIn(pool, name);
    const created = after.filter((t) => !before.includes(t));
    if (json) {
      io.stdout.write(`${printableJson(JSON.stringify({ database: maskUrl(url), schema: name, created, tables: after }))}\n`);
    } else {
      const c = colorsFor(io.stdout, io.env);
      const tables = after.map((t) => `${name}.${t}`).join(", ");
      io.stdout.write(
        created.length
          ? `${c.green("✔")} created ${created.map((t) => `${name}.${t}`).join(", ")} in ${shown}\n`
          : `${c.green("✔")} nothing to do: ${tables} already exist in ${shown}\n`,
      );
    }
    return 0;
  } finally {
    await close();
  }
}
