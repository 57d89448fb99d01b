import { parseArgs, type ParseArgsConfig } from "node:util";
import { GEMINI_EVENT_TYPES, isKnownEventType } from "@gemini-webhooks/core";
import { fixture } from "@gemini-webhooks/testing";
import { CliError, type CliIO } from "./output.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** node:util parseArgs, with its errors turned into one line that points at --help. */
export function parse(command: string, args: string[], options: Options): Parsed {
  try {
    const r = parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: true });
    return { values: r.values as Parsed["values"], positionals: r.positionals };
  } catch (e) {
    const code = (e as { code?: string }).code;
    const msg = (e as Error).message;
    const opt = /'(-[^' ]+)/.exec(msg)?.[1];
    const see = `(see: gemini-webhooks ${command} --help)`;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new CliError(`unknown option ${opt ?? msg} for ${command} ${see}`);
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") throw new CliError(`option ${opt ?? ""} needs a value ${see}`.replace("  ", " "));
    throw new CliError(`${msg} ${see}`);
  }
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === "string" ? v : undefined;
}

export function list(p: Parsed, name: string): string[] {
  const v = p.values[name];
  return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
}

/** A number option within [min, max]; `integer` rejects fractions. */
export function num(p: Parsed, name: string, fallback: number, min: number, max = Infinity, integer = false): number {
  const s = str(p, name);
  if (s === undefined) return fallback;
  const n = Number(s);
  if (s.trim() === "" || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    const range = max === Infinity ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new CliError(`--${name} must be ${integer ? "an integer" : "a number"} ${range}, got "${s}"`);
  }
  return n;
}

/** The URL to deliver to: http(s) only. */
export function url(s: string): string {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new CliError(`bad URL "${s}": give a full URL such as http://127.0.0.1:3000/gemini-callback`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new CliError(`bad URL "${s}": only http:// and https:// are supported`);
  if (u.username || u.password) throw new CliError(`bad URL "${s}": a URL with credentials (user:password@) cannot be requested; drop them`);
  return u.href;
}

/**
 * The fewest bytes a whsec_ secret may decode to: what core's receiver accepts (Standard Webhooks' minimum).
 * Gemini's own secrets are 24 to 64 bytes; `secret --bytes` makes any size the receiver takes, 16 to 64.
 */
export const MIN_SECRET_BYTES = 16;

/** --secret, else GEMINI_WEBHOOK_SECRET; checked for the whsec_ shape so a typo fails here, not at the receiver. */
export function secretOf(p: Parsed, io: CliIO, required: boolean): string | undefined {
  const s = (str(p, "secret") ?? io.env.GEMINI_WEBHOOK_SECRET)?.trim();
  if (s === undefined || s === "") {
    if (required) throw new CliError("missing --secret (the receiver's whsec_… signing secret; or set GEMINI_WEBHOOK_SECRET)");
    return undefined;
  }
  const b64 = s.startsWith("whsec_") ? s.slice(6) : s;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || Buffer.from(b64, "base64").length < MIN_SECRET_BYTES) {
    throw new CliError(`--secret is not a signing secret: expected whsec_ followed by base64 of ${MIN_SECRET_BYTES} bytes or more (what the receiver accepts)`);
  }
  return s;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let o = target;
  for (const k of keys.slice(0, -1)) {
    const next = o[k];
    if (typeof next !== "object" || next === null || Array.isArray(next)) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[keys[keys.length - 1]!] = value;
}

/** `key=value` sets a string; `key:=json` sets any JSON value; dotted keys nest (`a.b=c`). */
export function applyPairs(target: Record<string, unknown>, pairs: string[], flag: string): void {
  for (const pair of pairs) {
    const m = /^([^=:]+?)(:?=)([\s\S]*)$/.exec(pair);
    if (!m || m[1]!.split(".").some((k) => k === "")) {
      throw new CliError(`--${flag} takes key=value (a string) or key:=json (a number, true, null, an object…), got "${pair}"`);
    }
    let value: unknown = m[3];
    if (m[2] === ":=") {
      try {
        value = JSON.parse(m[3]!);
      } catch {
        throw new CliError(`--${flag} ${m[1]}:=… is not valid JSON: ${m[3]}`);
      }
    }
    setPath(target, m[1]!, value);
  }
}

function closest(type: string): string | undefined {
  const dist = (a: string, b: string) => {
    const d = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let prev = d[0]!;
      d[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const tmp = d[j]!;
        d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = tmp;
      }
    }
    return d[b.length]!;
  };
  const best = [...GEMINI_EVENT_TYPES].sort((a, b) => dist(type, a) - dist(type, b))[0];
  return best && dist(type, best) <= Math.max(2, Math.ceil(type.length * 0.4)) ? best : undefined;
}

/** The event to send: the fixture of a catalog type (timestamp now), with --data / --metadata applied. */
export function buildEvent(type: string | undefined, p: Parsed, command: string, now = Date.now()): Record<string, unknown> {
  if (!type) throw new CliError(`missing <event-type>, e.g. gemini-webhooks ${command} batch.succeeded (types: ${GEMINI_EVENT_TYPES.join(", ")})`);
  let event: Record<string, unknown>;
  if (isKnownEventType(type)) event = fixture(type) as unknown as Record<string, unknown>;
  else if (p.values["allow-unknown-type"] === true) event = { type, version: "v1", data: {} };
  else {
    const hint = closest(type);
    throw new CliError(`unknown event type "${type}"${hint ? ` (did you mean ${hint}?)` : ""}; see gemini-webhooks ${command} --help, or pass --allow-unknown-type`);
  }
  event.timestamp = new Date(Math.floor(now / 1000) * 1000).toISOString().replace(".000Z", "Z");
  applyPairs(event.data as Record<string, unknown>, list(p, "data"), "data");
  const metadata = list(p, "metadata");
  if (metadata.length) {
    const m: Record<string, unknown> = {};
    applyPairs(m, metadata, "metadata");
    event.user_metadata = m;
  }
  return event;
}

/** Options shared by trigger and sign. */
export const EVENT_OPTIONS: Options = {
  data: { type: "string", short: "d", multiple: true },
  metadata: { type: "string", multiple: true },
  "allow-unknown-type": { type: "boolean" },
};
