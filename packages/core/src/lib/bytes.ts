/**
 * Byte codecs (UTF-8, base64, base64url, hex), with Node's `Buffer` where the runtime has one (faster) and a
 * portable fallback elsewhere. The one place core looks `Buffer` up.
 */

/** The part of Node's Buffer used here (typed locally: core type-checks without Node's typings). */
interface BufferLike extends Uint8Array {
  toString(encoding?: "base64" | "hex" | "utf8"): string;
}
interface BufferStatic {
  from(data: string, encoding: "utf8" | "base64" | "base64url"): BufferLike;
  from(data: ArrayBufferLike, offset: number, length: number): BufferLike;
  concat(list: readonly Uint8Array[]): BufferLike;
}

/** Node's Buffer (Node, Bun, Deno); undefined on Workers and Edge. */
export const NodeBuffer = (globalThis as { Buffer?: BufferStatic }).Buffer;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function utf8(s: string): Uint8Array {
  return NodeBuffer ? NodeBuffer.from(s, "utf8") : encoder.encode(s);
}

/** UTF-8 text of bytes. */
export function bytesToText(bytes: Uint8Array): string {
  const b = bytes as Uint8Array & { utf8Slice?: (s: number, e: number) => string };
  if (typeof b.utf8Slice === "function") return b.utf8Slice(0, b.length);
  return decoder.decode(bytes);
}

export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (NodeBuffer) return NodeBuffer.concat([a, b]);
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** One Uint8Array of `total` bytes from the chunks (no copy for a single chunk). */
export function concatChunks(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict standard base64 (padding optional) to bytes; undefined when not base64. */
export function base64ToBytes(s: string): Uint8Array | undefined {
  if (!B64.test(s) || s.length % 4 === 1) return undefined;
  const padded = s.length % 4 === 0 ? s : s + "=".repeat(4 - (s.length % 4));
  if (/=[^=]/.test(padded)) return undefined;
  try {
    const bin = atob(padded);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

function asBuffer(bytes: Uint8Array): BufferLike {
  return NodeBuffer!.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function bytesToBase64(bytes: Uint8Array): string {
  if (NodeBuffer) return asBuffer(bytes).toString("base64");
  let bin = "";
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]!);
  return btoa(bin);
}

export function bytesToBase64Url(bytes: Uint8Array): string {
  return bytesToBase64(bytes).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}

export function bytesToHex(bytes: Uint8Array): string {
  if (NodeBuffer) return asBuffer(bytes).toString("hex");
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += bytes[i]!.toString(16).padStart(2, "0");
  return s;
}

/** base64url (no padding) to UTF-8 text; throws on anything else. */
export function base64UrlToText(segment: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) throw new TypeError("not base64url");
  if (NodeBuffer) return NodeBuffer.from(segment, "base64url").toString("utf8");
  const b64 = segment.replace(/-/g, "+").replace(/_/g, "/");
  const bytes = base64ToBytes(b64);
  if (!bytes) throw new TypeError("not base64url");
  return decoder.decode(bytes);
}

/**
 * Constant-time equality of two strings of public length (signatures, hashes): every character is
 * compared, with no early exit, so the time depends only on the length (stripe-node's secureCompare).
 */
export function timingSafeEqualString(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
