import { paintStatus, type Paint } from "../output.js";
import { maskUrl, printable, printableJson } from "../text.js";
import type { DeliveryRecord } from "./record.js";

/** The headers shown for a delivery (all of them are in --json and the inspector). */
const WEBHOOK_HEADERS = ["webhook-id", "webhook-timestamp", "webhook-signature", "content-type"];

/** Colours JSON for a terminal: keys cyan, strings green, numbers and literals magenta. */
export function prettyJson(value: unknown, p: Paint): string {
  const text = printableJson(JSON.stringify(value, null, 2));
  if (!p.enabled) return text;
  return text.replace(/("(?:\\.|[^"\\])*")(\s*:)?|\b(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)\b/g, (m, str: string | undefined, colon: string | undefined, lit: string | undefined) => {
    if (str !== undefined) return colon ? `${p.cyan(str)}${colon}` : p.green(str);
    return lit !== undefined ? p.magenta(lit) : m;
  });
}

function indent(s: string, by = "  "): string {
  return s.replace(/^/gm, by);
}

/** Text from the request or the app, shortened, its control characters escaped (it may span lines). */
function clip(text: string, max = 400): string {
  return printable(text.length > max ? `${text.slice(0, max)}…` : text, { multiline: true });
}

/** One line of text from the request or the app, its control characters (newlines included) escaped. */
const one = (text: string) => printable(text);

function messageOf(answerBody: string): string | undefined {
  try {
    const m = (JSON.parse(answerBody) as { error?: { message?: unknown } })?.error?.message;
    return typeof m === "string" ? m : undefined;
  } catch {
    return undefined;
  }
}

function shownHeaders(r: DeliveryRecord): Record<string, string> {
  return Object.fromEntries(WEBHOOK_HEADERS.filter((h) => r.headers[h] !== undefined).map((h) => [h, r.headers[h]!]));
}

/** One JSON line per delivery (`listen --json`). */
export function jsonLine(r: DeliveryRecord): string {
  const v = r.verification?.ok ? r.verification : undefined;
  const message = messageOf(r.answer.body);
  const line = {
    time: r.receivedAt,
    method: r.method,
    path: r.path,
    status: r.answer.status,
    answer: r.outcome,
    ...(message !== undefined ? { message } : {}),
    ...(v ? { webhookId: v.webhookId, scheme: v.scheme, timestamp: v.timestamp, ...(v.keyId ? { keyId: v.keyId } : {}) } : {}),
    ...(r.event !== undefined ? { event: r.event } : {}),
    ...(r.forward ? { forward: r.forward } : {}),
    ...(r.resendOf !== undefined ? { resendOf: r.resendOf } : {}),
    headers: shownHeaders(r),
  };
  return `${printableJson(JSON.stringify(line))}\n`;
}

/** A delivery as terminal text: a head line, then the error, headers, event and the app's answer. */
export function textBlock(r: DeliveryRecord, c: Paint, showHeaders: boolean): string {
  const v = r.verification?.ok ? r.verification : undefined;
  const head = [
    c.dim(r.receivedAt.slice(11, 19)),
    paintStatus(c, r.answer.status, `${r.answer.status} ${r.outcome}`),
    r.type ? c.bold(one(r.type)) : c.dim(one(`${r.method} ${r.path}`)),
    v ? c.dim(one(`${v.webhookId} · ${v.scheme}${v.keyId ? ` · kid ${v.keyId}` : ""}`) + (r.resendOf !== undefined ? ` · resend of #${r.resendOf}` : "")) : "",
  ].filter(Boolean);
  let s = `${head.join("  ")}\n`;
  const message = r.forward ? undefined : messageOf(r.answer.body);
  if (message) s += `${indent(c.red(one(message)))}\n`;
  if (showHeaders || !r.event) {
    const hs = Object.entries(shownHeaders(r)).map(([k, val]) => `${c.dim(`${one(k)}:`)} ${one(val)}`);
    if (hs.length) s += `${indent(hs.join("\n"))}\n`;
  }
  if (r.event !== undefined && r.outcome !== "duplicate") s += `${indent(prettyJson(r.event, c))}\n`;
  else if (r.event === undefined && r.body && r.answer.status !== 405) s += `${indent(c.dim(clip(r.body)))}\n`;
  if (r.forward) {
    const f = r.forward;
    const said = f.status !== undefined ? paintStatus(c, f.status, `${f.status}`) : c.red(`not reached: ${one(f.error ?? "")}`);
    s += `${indent(`${c.dim("→ app")} ${one(maskUrl(f.url))} ${c.dim("answered")} ${said} ${c.dim(`in ${f.durationMs} ms`)}`)}\n`;
    if (f.body) s += `${indent(clip(f.body), "    ")}\n`;
  }
  return s;
}
