import type { DeadLetter, HandleResult } from "@gemini-webhooks/core";
import { createSender, type AttemptReport } from "@gemini-webhooks/testing";
import { importApp, receiverOf } from "./app-module.js";
import { num, parse, secretOf, str, url as parseUrl } from "./args.js";
import { CliError, colorsFor, paintStatus, plural, type CliIO } from "./output.js";
import { databaseUrlOf, openPostgresDeadLetters, schemaOf } from "./postgres.js";
import { openDeadLetters } from "./redis.js";
import { maskUrl, maskUrls, printable, printableJson } from "./text.js";

const OPTIONS = {
  "redis-url": { type: "string" },
  prefix: { type: "string" },
  "database-url": { type: "string" },
  schema: { type: "string" },
  app: { type: "string" },
  export: { type: "string" },
  limit: { type: "string" },
  all: { type: "boolean" },
  url: { type: "string" },
  secret: { type: "string" },
  "max-attempts": { type: "string" },
  "base-delay": { type: "string" },
  timeout: { type: "string" },
  json: { type: "boolean" },
} as const;

const ACTIONS = ["list", "show", "replay", "delete"] as const;
type Action = (typeof ACTIONS)[number];

/**
 * Where the entries come from: the receiver itself (`--app`), or its store: Redis (`--redis-url`) or Postgres
 * (`--database-url`). Every command below works on this, whatever the store.
 */
interface Source {
  list(limit?: number): Promise<DeadLetter[]>;
  get(id: string): Promise<DeadLetter | undefined>;
  remove(id: string): Promise<void>;
  /** The receiver's own replay (same claim rules, the entry's stored key); only with `--app`. */
  replay?: (id: string) => Promise<HandleResult<unknown> | undefined>;
  close(): Promise<void>;
}

interface Desk {
  list(o?: { limit?: number }): Promise<DeadLetter[]>;
  get(id: string): Promise<DeadLetter | undefined>;
  replay(id: string): Promise<HandleResult<unknown> | undefined>;
  delete(id: string): Promise<void>;
}

function describe(a: AttemptReport): string {
  if (a.status !== undefined) return `${a.status}${a.answer ? ` ${printable(a.answer)}` : ""}`;
  return a.outcome === "timeout" ? "timeout" : `network error${a.message ? ` (${printable(maskUrls(a.message))})` : ""}`;
}

/**
 * Whether re-signing the event as v1 under its webhook-id lands on the entry's own idempotency key at the app:
 * v1 and v1a share the webhook-id key space; a `dedupeBy: "event"` key does not depend on the id at all. A JWT
 * delivery's key lives in the `jwt:` space (and a reconciled one in its own), which no v1 delivery can reach:
 * only the receiver's own `deadLetters.replay(id)` (`--app`) replays those under their key.
 */
export function replayableOverHttp(e: DeadLetter): boolean {
  return e.ctx.scheme === "v1" || e.ctx.scheme === "v1a" || e.id.includes(":event:");
}

/** An entry by its id (the stored key, looked up directly) or by its webhook-id (searched among every entry). */
async function find(source: Source, id: string): Promise<DeadLetter> {
  const direct = await source.get(id);
  if (direct) return direct;
  const byWebhookId = (await source.list()).find((x) => x.ctx.webhookId === id);
  if (byWebhookId) return byWebhookId;
  throw new CliError(`no dead letter "${printable(id)}" (gemini-webhooks dead-letters list shows them)`, 1);
}

/** Which store the entries are in, from the flags, else the environment ($REDIS_URL first, as before $DATABASE_URL). */
function storeOf(p: ReturnType<typeof parse>, io: CliIO): "app" | "redis" | "postgres" {
  const given = [str(p, "app") !== undefined && "--app", str(p, "redis-url") !== undefined && "--redis-url", str(p, "database-url") !== undefined && "--database-url"].filter(
    (x): x is string => typeof x === "string",
  );
  if (given.length > 1) throw new CliError(`give one of --app (the receiver's own dead letters), --redis-url or --database-url, not ${given.join(" and ")}`);
  const store = given[0] === "--app" ? "app" : given[0] === "--redis-url" ? "redis" : given[0] === "--database-url" ? "postgres" : io.env.REDIS_URL ? "redis" : io.env.DATABASE_URL ? "postgres" : undefined;
  if (!store) {
    throw new CliError(
      "missing --redis-url or --database-url (the Redis of your app's redisDeadLetters, e.g. redis://127.0.0.1:6379, or the Postgres of its postgresDeadLetters; or set REDIS_URL or DATABASE_URL), or --app MODULE",
    );
  }
  if (store !== "redis" && str(p, "prefix") !== undefined) throw new CliError("--prefix is the redisDeadLetters prefix: it needs --redis-url");
  if (store !== "postgres" && str(p, "schema") !== undefined) throw new CliError("--schema is the postgresDeadLetters schema: it needs --database-url");
  if (given.length === 0 && store === "redis" && io.env.DATABASE_URL) {
    io.stderr.write("note: using $REDIS_URL (DATABASE_URL is set too: pass --database-url for the dead letters of postgresDeadLetters)\n");
  }
  return store;
}

async function openSource(p: ReturnType<typeof parse>, io: CliIO, store: "app" | "redis" | "postgres", limit: number): Promise<Source> {
  if (store === "app") {
    const webhooks = receiverOf<{ deadLetters: Desk }>(await importApp(str(p, "app")!, io.cwd), str(p, "export"));
    const desk = webhooks.deadLetters;
    return {
      list: (limit) => desk.list(limit !== undefined ? { limit } : {}),
      get: (id) => desk.get(id),
      remove: (id) => desk.delete(id),
      replay: (id) => desk.replay(id),
      close: async () => {},
    };
  }
  const skipped: string[] = [];
  const onCorrupt = (id: string, error: Error) => {
    if (skipped.includes(id)) return;
    skipped.push(id);
    io.stderr.write(`warning: skipped dead letter ${printable(id)}: ${printable(error.message)}\n`);
  };
  const { store: entries, close } =
    store === "postgres"
      ? // the store's own bound (default 10,000) would cap list below --limit: the CLI only reads, so it never trims
        await openPostgresDeadLetters(databaseUrlOf(p, io, "dead-letters"), schemaOf(p), Math.max(limit, 10_000), onCorrupt)
      : await openDeadLetters(redisUrlOf(p, io), str(p, "prefix"), onCorrupt);
  return { list: (limit) => entries.list(limit !== undefined ? { limit } : {}), get: (id) => entries.get(id), remove: (id) => entries.remove(id), close };
}

function redisUrlOf(p: ReturnType<typeof parse>, io: CliIO): string {
  const redisUrl = (str(p, "redis-url") ?? io.env.REDIS_URL)!;
  if (!/^rediss?:\/\//.test(redisUrl)) throw new CliError(`bad --redis-url "${printable(maskUrl(redisUrl))}": expected redis://host:port (or rediss://)`);
  return redisUrl;
}

/** One entry in full: what list shows, plus the event and its context. */
function showEntry(e: DeadLetter, io: CliIO, out: ReturnType<typeof colorsFor>): void {
  const seen = `${plural(e.attempts, "attempt")}, first ${new Date(e.firstSeen).toISOString()}, last ${new Date(e.lastSeen).toISOString()}`;
  io.stdout.write(`${out.bold(printable(e.id))}  ${printable(e.event.type)}\n`);
  io.stdout.write(`  webhook-id  ${printable(e.ctx.webhookId)} (${printable(e.ctx.scheme)})\n`);
  io.stdout.write(`  failed      ${seen}\n`);
  io.stdout.write(`  error       ${out.red(printable(`${e.error.code ? `${e.error.code}: ` : ""}${e.error.name}: ${e.error.message}`))}\n`);
  io.stdout.write(`  event       ${printableJson(JSON.stringify(e.event, null, 2)).replace(/\n/g, "\n  ")}\n`);
}

/**
 * `gemini-webhooks dead-letters list|show|replay|delete`: the deliveries whose handlers failed. With `--app` the
 * receiver's own dead letters, replayed by its own `deadLetters.replay(id)` (the entry's stored key, any
 * scheme); with `--redis-url` the entries of `redisDeadLetters`, with `--database-url` those of
 * `postgresDeadLetters`, replayed over HTTP to the app, signed v1 under the original webhook-id (v1 and v1a
 * entries, and `dedupeBy: "event"` keys: the only ones a v1 delivery reaches), with retries; the entry is
 * deleted once the app answers 2xx.
 */
export async function deadLetters(args: string[], io: CliIO, showHelp: () => number): Promise<number> {
  const p = parse("dead-letters", args, OPTIONS);
  if (p.values.help) return showHelp();
  const [action, ...ids] = p.positionals;
  if (!ACTIONS.includes(action as Action)) {
    throw new CliError(action === undefined ? "missing action: list, show, replay or delete (see: gemini-webhooks dead-letters --help)" : `unknown action "${printable(action)}": use list, show, replay or delete`);
  }
  const store = storeOf(p, io);
  const viaApp = store === "app";
  if (!viaApp && str(p, "export") !== undefined) throw new CliError("--export needs --app");
  const limit = num(p, "limit", 100, 1, 1_000_000, true);
  const json = p.values.json === true;
  const all = p.values.all === true;
  const out = colorsFor(io.stdout, io.env);
  if (action === "list" && (ids.length || all)) throw new CliError("list takes no ids (use --limit)");
  if (action === "show" && all) throw new CliError("show takes ids, not --all (list prints every entry; --json prints them in full)");
  if (action !== "list" && all && ids.length) throw new CliError("give ids or --all, not both");
  if (action !== "list" && !all && !ids.length) throw new CliError(`${action} needs the id of a dead letter (see: gemini-webhooks dead-letters list)${action === "show" ? "" : " or --all"}`);
  let target: string | undefined;
  let secret: string | undefined;
  if (action === "replay" && !viaApp) {
    const u = str(p, "url") ?? io.env.GEMINI_WEBHOOK_URL;
    if (!u) throw new CliError("replay needs --url, your app's webhook endpoint (or set GEMINI_WEBHOOK_URL); or --app MODULE, to replay through the receiver itself");
    target = parseUrl(u);
    secret = secretOf(p, io, true);
  }
  if (viaApp && (str(p, "url") !== undefined || str(p, "secret") !== undefined)) throw new CliError("--app replays through the receiver itself: --url and --secret do not apply");
  const retry = {
    maxAttempts: num(p, "max-attempts", 3, 1, Infinity, true),
    baseDelayMs: num(p, "base-delay", 1000, 0),
    timeoutMs: num(p, "timeout", 10_000, 1),
  };

  const source = await openSource(p, io, store, limit);
  try {
    if (action === "list") {
      const entries = await source.list(limit);
      if (json) io.stdout.write(`${printableJson(JSON.stringify(entries, null, 2))}\n`);
      else if (!entries.length) io.stdout.write("no dead letters\n");
      else {
        io.stdout.write(`${plural(entries.length, "dead letter")}, the most recently failed first:\n`);
        for (const e of entries) {
          const seen = `${plural(e.attempts, "attempt")}, first ${new Date(e.firstSeen).toISOString()}, last ${new Date(e.lastSeen).toISOString()}`;
          io.stdout.write(`${out.bold(printable(e.id))}  ${printable(e.event.type)}  ${out.dim(`${printable(e.ctx.webhookId)} · ${printable(e.ctx.scheme)} · ${seen}`)}\n`);
          io.stdout.write(`  ${out.red(printable(`${e.error.code ? `${e.error.code}: ` : ""}${e.error.name}: ${e.error.message}`))}\n`);
        }
      }
      return 0;
    }

    const chosen: DeadLetter[] = all ? await source.list(limit) : [];
    for (const id of ids) chosen.push(await find(source, id));
    if (action === "show") {
      if (json) io.stdout.write(`${printableJson(JSON.stringify(chosen.length === 1 ? chosen[0] : chosen, null, 2))}\n`);
      else for (const e of chosen) showEntry(e, io, out);
      return 0;
    }
    if (action === "delete") {
      for (const e of chosen) await source.remove(e.id);
      if (json) io.stdout.write(`${printableJson(JSON.stringify({ deleted: chosen.map((e) => e.id) }))}\n`);
      else io.stdout.write(`deleted ${plural(chosen.length, "dead letter")}${chosen.length ? `: ${chosen.map((e) => printable(e.id)).join(", ")}` : ""}\n`);
      return 0;
    }

    const results: { id: string; webhookId: string; scheme: string; delivered: boolean; answer: string; attempts: number; deleted: boolean }[] = [];
    const report = (e: DeadLetter, delivered: boolean, answer: string, status: number | undefined, attempts: number, note: string) => {
      results.push({ id: e.id, webhookId: e.ctx.webhookId, scheme: e.ctx.scheme, delivered, answer, attempts, deleted: delivered });
      if (json) return;
      const mark = delivered ? out.green("✔") : out.red("✘");
      io.stdout.write(`${mark} ${printable(e.event.type)} ${out.dim(printable(e.ctx.webhookId))} → ${paintStatus(out, status, printable(answer))} ${out.dim(note)}\n`);
    };
    const sender = target ? createSender({ url: target, secret: secret!, scheme: "v1", retry, headers: { "user-agent": "gemini-webhooks-dead-letters" } }) : undefined;
    for (const e of chosen) {
      if (source.replay) {
        const r = await source.replay(e.id);
        if (!r) {
          report(e, false, "gone", undefined, 0, "no longer a dead letter (replayed or deleted meanwhile)");
          continue;
        }
        const body = r.body as { status?: string; error?: { code?: string } };
        const word = body.status ?? body.error?.code ?? "";
        const ok = r.status >= 200 && r.status < 300;
        report(e, ok, `${r.status} ${word}`.trim(), r.status, 1, ok ? (word === "duplicate" ? "processed meanwhile; entry deleted" : "by the receiver itself; entry deleted") : "entry kept");
        continue;
      }
      if (!replayableOverHttp(e)) {
        report(e, false, "not replayed", undefined, 0, `a ${e.ctx.scheme} delivery's key (${e.id}) is out of reach of a v1 re-delivery: replay it with --app MODULE (the receiver's own deadLetters.replay); entry kept`);
        continue;
      }
      const d = await sender!.send(e.event, { id: e.ctx.webhookId });
      const last = d.attempts[d.attempts.length - 1]!;
      if (d.delivered) await source.remove(e.id);
      const note = `after ${plural(d.attempts.length, "attempt")}; ${d.delivered ? (last.answer === "duplicate" ? "processed meanwhile; entry deleted" : "entry deleted") : "entry kept"}`;
      report(e, d.delivered, describe(last), last.status, d.attempts.length, note);
    }
    if (json) io.stdout.write(`${printableJson(JSON.stringify({ replayed: results }, null, 2))}\n`);
    const failed = results.filter((r) => !r.delivered);
    if (failed.length) throw new CliError(`${failed.length} of ${plural(results.length, "replay")} failed (last answer: ${failed[0]!.answer}); their entries are kept`, 1);
    return 0;
  } finally {
    await source.close();
  }
}
