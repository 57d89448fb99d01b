import { newMessageId, signStatic } from "@gemini-webhooks/testing";
import { buildEvent, EVENT_OPTIONS, num, parse, secretOf, str, url as parseUrl } from "./args.js";
import { DEFAULT_URL } from "./help.js";
import { CliError, type CliIO } from "./output.js";

const OPTIONS = {
  ...EVENT_OPTIONS,
  url: { type: "string" },
  secret: { type: "string" },
  id: { type: "string" },
  timestamp: { type: "string" },
  json: { type: "boolean" },
  dynamic: { type: "boolean" },
} as const;

/** POSIX shell single-quoting. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function sign(args: string[], io: CliIO, showHelp: () => number): number {
  const p = parse("sign", args, OPTIONS);
  if (p.values.help) return showHelp();
  if (p.values.dynamic) {
    throw new CliError("sign prints static (v1) deliveries only: a dynamic one needs its key set served while the receiver verifies, so use gemini-webhooks trigger --dynamic");
  }
  if (p.positionals.length > 1) throw new CliError(`sign takes one event type, got ${p.positionals.join(" ")}`);
  const event = buildEvent(p.positionals[0], p, "sign");
  const target = parseUrl(str(p, "url") ?? io.env.GEMINI_WEBHOOK_URL ?? DEFAULT_URL);
  const secret = secretOf(p, io, true)!;
  const id = str(p, "id") ?? newMessageId();
  if (!/^[\x21-\x7e]{1,256}$/.test(id)) throw new CliError("--id must be 1 to 256 visible ASCII characters");
  const timestamp = num(p, "timestamp", Math.floor(Date.now() / 1000), 0, 999_999_999_999_999, true);
  const d = signStatic({ event, secret, id, timestamp });
  if (p.values.json) {
    io.stdout.write(`${JSON.stringify({ url: target, headers: d.headers, body: d.body }, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `curl -sS -X POST ${shellQuote(target)}`,
    ...Object.entries(d.headers).map(([k, v]) => `  -H ${shellQuote(`${k}: ${v}`)}`),
    `  --data-raw ${shellQuote(d.body)}`,
  ];
  io.stdout.write(`${lines.join(" \\\n")}\n`);
  if (io.stderr.isTTY) io.stderr.write(`# valid for 5 minutes (the receiver's replay window); a second run answers "duplicate"\n`);
  return 0;
}
