import { WebhookVerificationError, type SignatureScheme } from "../errors.js";
import { bytesToText, utf8 } from "../lib/bytes.js";

/** Turns the `body` input into the exact bytes that were signed. Parsed objects are refused. */
export function toBytes(body: unknown): Uint8Array {
  if (body instanceof Uint8Array) return body; // Buffer included
  if (typeof body === "string") return utf8(body);
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body === undefined || body === null) {
    throw new WebhookVerificationError(
      "configuration",
      "No raw request body reached the webhook receiver. Pass the raw bytes (Buffer/Uint8Array) or the exact string of the request body.",
    );
  }
  throw new WebhookVerificationError(
    "configuration",
    "The request body was already parsed into an object, so its signature cannot be checked. Give the receiver the raw body: mount it before any JSON body parser (e.g. express.json()), or keep the raw bytes (express.raw({ type: '*/*' }), or express.json({ verify: captureRawBody })).",
  );
}

/** An `invalid_json` error that names the scheme the body was verified with (when there was one). */
function invalidJson(message: string, scheme: SignatureScheme | undefined): WebhookVerificationError {
  return scheme === undefined
    ? new WebhookVerificationError("invalid_json", message)
    : new WebhookVerificationError("invalid_json", `${message.replace(/\.$/, "")} (verified with ${scheme}).`, { scheme });
}

/** Parses a verified body into an event envelope: an object with a string `type`. */
export function parseEnvelope(bytes: Uint8Array, scheme?: SignatureScheme): { type: string; data: Record<string, unknown> } & Record<string, unknown> {
  let value: unknown;
  let text = "";
  try {
    text = bytesToText(bytes);
    value = JSON.parse(text);
  } catch {
    throw invalidJson("The verified body is not valid JSON.", scheme);
  }
  return checkEnvelope(value, fewContainers(text), scheme);
}

/**
 * Whether the text has at most MAX_JSON_DEPTH + 1 `{` and `[` in all (inside strings included): then no
 * value in it can nest deeper than MAX_JSON_DEPTH, and the walk over the parsed value is skipped.
 */
function fewContainers(text: string): boolean {
  let n = 0;
  for (let i = text.indexOf("{"); i !== -1; i = text.indexOf("{", i + 1)) if (++n > MAX_JSON_DEPTH + 1) return false;
  for (let i = text.indexOf("["); i !== -1; i = text.indexOf("[", i + 1)) if (++n > MAX_JSON_DEPTH + 1) return false;
  return true;
}

/** Deepest nesting of objects and arrays an event may have: deeper input is refused, never a stack overflow. */
export const MAX_JSON_DEPTH = 64;

export function tooDeep(scheme?: SignatureScheme): WebhookVerificationError {
  return invalidJson(`The body nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels; a Gemini event never does.`, scheme);
}

/** Refuses values nested deeper than MAX_JSON_DEPTH (an iterative walk: no recursion on hostile input). */
function checkDepth(root: unknown, scheme: SignatureScheme | undefined): void {
  const stack: unknown[] = [root];
  const depths: number[] = [0];
  while (stack.length > 0) {
    const v = stack.pop() as Record<string, unknown>;
    const d = depths.pop()!;
    if (d > MAX_JSON_DEPTH) throw tooDeep(scheme);
    if (Array.isArray(v)) {
      for (const x of v) if (x !== null && typeof x === "object") (stack.push(x), depths.push(d + 1));
    } else {
      for (const k in v) {
        const x = v[k];
        if (x !== null && typeof x === "object") (stack.push(x), depths.push(d + 1));
      }
    }
  }
}

/** `shallow`: the caller knows the value cannot nest deeper than MAX_JSON_DEPTH (the depth walk is skipped). */
export function checkEnvelope(value: unknown, shallow = false, scheme?: SignatureScheme): { type: string; data: Record<string, unknown> } & Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw invalidJson("The verified body is JSON but not an event object.", scheme);
  }
  const obj = value as Record<string, unknown>;
  if (typeof obj.type !== "string" || obj.type === "") {
    throw invalidJson('The verified body has no string "type": it is not a Gemini event envelope.', scheme);
  }
  if (obj.data === undefined) obj.data = {};
  else if (obj.data === null || typeof obj.data !== "object" || Array.isArray(obj.data)) {
    throw invalidJson('The verified body\'s "data" is not an object.', scheme);
  }
  if (!shallow) checkDepth(obj, scheme);
  return obj as { type: string; data: Record<string, unknown> } & Record<string, unknown>;
}
