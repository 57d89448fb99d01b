// What the CLI prints from a request, a store or an API is data, never terminal control: a forged body must
// not retitle or clear the terminal, or draw a fake line. And a URL it prints never shows its password.

/** C0 controls but tab and newline, DEL, C1 controls (0x9b is CSI on some terminals), bidi overrides. */
const CONTROL_MULTILINE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
/** The same, newline and tab included: for text that must stay on one line. */
const CONTROL_LINE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
/** What JSON.stringify leaves raw that a terminal may still act on. */
const CONTROL_IN_JSON = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\x1b", "\x07": "\\x07", "\b": "\\b" };

function escapeChar(c: string): string {
  return NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** Text from outside, safe to print: control characters shown as escapes (`\x1b`, `\r`, `\u009b`). */
export function printable(text: string, options: { multiline?: boolean } = {}): string {
  return String(text).replace(options.multiline ? CONTROL_MULTILINE : CONTROL_LINE, escapeChar);
}

/** JSON text safe to print: JSON.stringify escapes C0 controls; this escapes the rest (still valid JSON). */
export function printableJson(json: string): string {
  return json.replace(CONTROL_IN_JSON, escapeChar);
}

const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^@/?#\s]*)@/i;

/**
 * A URL with its credentials masked (`redis://user:***@host:6379/0`, `https://***@host/`), for printing.
 * A string that does not parse as a URL is masked the same way where it looks like one.
 */
export function maskUrl(url: string): string {
  const m = USERINFO.exec(url);
  if (!m) return url;
  const info = m[2]!;
  const colon = info.indexOf(":");
  const masked = colon >= 0 ? `${info.slice(0, colon)}:***` : "***";
  return `${m[1]}${masked}@${url.slice(m[0].length)}`;
}

/** Every URL inside a text (a message from a client library may quote one) with its credentials masked. */
export function maskUrls(text: string): string {
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/[^@/?#\s]*@/gi, (m) => maskUrl(m));
}
