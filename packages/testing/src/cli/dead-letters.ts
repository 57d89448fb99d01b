import type { DeadLetter } from "@gemini-webhooks/core";
import { createSender, type AttemptReport } from "../sender.js";
import { num, parse, secretOf, str, url as parseUrl } from "./args.js";
import { CliError, colorsFor, paintStatus, plural, type CliIO } from "./output.js";
import { openDeadLetters } from "./redis.js";

const OPTIONS = {
  "redis-url": { type: "string" },
  prefix: { type: "string" },
  limit: { type: "string" },
  all: { type: "boolean" },
  url: { type: "string" },
  secret: { type: "string" },
  "max-attempts": { type: "string" },
  "base-delay": { type: "string" },
  timeout: { type: "string" },
  json: { type: "boolean" },
} as const;

const ACTIONS = ["list", "replay", "delete"] as const;
type Action = (typeof ACTIONS)[number];

function describe(a: AttemptReport): string {
  if (a.status !== undefined) return `${a.status}${a.answer ? ` ${a.answer}` : ""}`;
  return a.outcome === "timeout" ? "timeout" : `network error${a.message ? ` (${a.message})` : ""}`;
}

/** The entries named on the command line, by dead-letter id or by webhook-id; or all of them with --all. */
function pick(entries: DeadLetter[], ids: string[], all: boolean, action: Action): DeadLetter[] {
  if (all) {
    if (ids.length) throw new CliError(`give ids or --all, not both`);
    return entries;
  }
  if (!ids.length) throw new CliError(`${action} needs the id of a dead letter (see: gemini-webhooks dead-letters list) or --all`);
  return ids.map((id) => {
    const e = entries.find((x) => x.id === id) ?? entries.find((x) => x.ctx.webhookId === id);
    if (!e) throw new CliError(`no dead letter "${id}" (gemini-webhooks dead-letters list shows them)`, 1);
    return e;
  });
}

/**
 * `gemini-webhooks dead-letters list|replay|delete`: the deliveries whose handlers failed, kept in Redis by
 * `redisDeadLetters`. replay re-delivers each stored event to the app, signed v1 under its original
 * webhook-id (so the app's claim rules apply: one processed meanwhile answers "duplicate"), with retries,
 * and deletes the entry once the app answers 2xx.
 */
export async function deadLetters(args: string[], io: CliIO, showHelp: () => number): Promise<number> {
  const p = parse("dead-letters", args, OPTIONS);
  if (p.values.help) return showHelp();
  const [action, ...ids] = p.positionals;
  if (!ACTIONS.includes(action as Action)) {
    throw new CliError(action === undefined ? "missing action: list, replay or delete (see: gemini-webhooks dead-letters --help)" : `unknown action "${action}": use list, replay or delete`);
  }
  const redisUrl = str(p, "redis-url") ?? io.env.REDIS_URL;
  if (!redisUrl) throw new CliError("missing --redis-url (the Redis your app's redisDeadLetters uses, e.g. redis://127.0.0.1:6379; or set REDIS_URL)");
  if (!/^rediss?:\/\//.test(redisUrl)) throw new CliError(`bad --redis-url "${redisUrl}": expected redis://host:port (or rediss://)`);
  const limit = num(p, "limit", 100, 1, 1_000_000, true);
  const json = p.values.json === true;
  const all = p.values.all === true;
  const out = colorsFor(io.stdout, io.env);
  if (action === "list" && (ids.length || all)) throw new CliError("list takes no ids (use --limit)");
  let target: string | undefined;
  let secret: string | undefined;
  if (action === "replay") {
    const u = str(p, "url") ?? io.env.GEMINI_WEBHOOK_URL;
    if (!u) throw new CliError("replay needs --url, your app's webhook endpoint (or set GEMINI_WEBHOOK_URL)");
    target = parseUrl(u);
    secret = secretOf(p, io, true);
  }
  const retry = {
    maxAttempts: num(p, "max-attempts", 3, 1, Infinity, true),
    baseDelayMs: num(p, "base-delay", 1000, 0),
    timeoutMs: num(p, "timeout", 10_000, 1),
  };

  const { store, close } = await openDeadLetters(redisUrl, str(p, "prefix"));
  try {
    const entries = await store.list({ limit });
    if (action === "list") {
      if (json) io.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
      else if (!entries.length) io.stdout.write("no dead letters\n");
      else {
        io.stdout.write(`${plural(entries.length, "dead letter")}, the most recently failed first:\n`);
        for (const e of entries) {
          const seen = `${plural(e.attempts, "attempt")}, first ${new Date(e.firstSeen).toISOString()}, last ${new Date(e.lastSeen).toISOString()}`;
          io.stdout.write(`${out.bold(e.id)}  ${e.event.type}  ${out.dim(`${e.ctx.webhookId} · ${e.ctx.scheme} · ${seen}`)}\n`);
          io.stdout.write(`  ${out.red(`${e.error.code ? `${e.error.code}: ` : ""}${e.error.name}: ${e.error.message}`)}\n`);
        }
      }
      return 0;
    }

    const chosen = pick(entries, ids, all, action as Action);
    if (action === "delete") {
      for (const e of chosen) await store.remove(e.id);
      if (json) io.stdout.write(`${JSON.stringify({ deleted: chosen.map((e) => e.id) })}\n`);
      else io.stdout.write(`deleted ${plural(chosen.length, "dead letter")}${chosen.length ? `: ${chosen.map((e) => e.id).join(", ")}` : ""}\n`);
      return 0;
    }

    const sender = createSender({ url: target!, secret: secret!, scheme: "v1", retry, headers: { "user-agent": "gemini-webhooks-dead-letters" } });
    const results: { id: string; webhookId: string; delivered: boolean; answer: string; attempts: number; deleted: boolean }[] = [];
    for (const e of chosen) {
      const report = await sender.send(e.event, { id: e.ctx.webhookId });
      const last = report.attempts[report.attempts.length - 1]!;
      if (report.delivered) await store.remove(e.id);
      results.push({ id: e.id, webhookId: e.ctx.webhookId, delivered: report.delivered, answer: describe(last), attempts: report.attempts.length, deleted: report.delivered });
      if (!json) {
        const mark = report.delivered ? out.green("✔") : out.red("✘");
        const note = report.delivered ? (last.answer === "duplicate" ? "processed meanwhile; entry deleted" : "entry deleted") : "entry kept";
        io.stdout.write(`${mark} ${e.event.type} ${out.dim(e.ctx.webhookId)} → ${paintStatus(out, last.status, describe(last))} ${out.dim(`after ${plural(report.attempts.length, "attempt")}; ${note}`)}\n`);
      }
    }
    if (json) io.stdout.write(`${JSON.stringify({ replayed: results }, null, 2)}\n`);
    const failed = results.filter((r) => !r.delivered);
    if (failed.length) throw new CliError(`${failed.length} of ${plural(results.length, "replay")} failed (last answer: ${failed[0]!.answer}); their entries are kept`, 1);
    return 0;
  } finally {
    await close();
  }
}
