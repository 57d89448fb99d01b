/**
 * Crypto without a top-level `node:*` import: under Node (and Bun, Deno) `process.getBuiltinModule`
 * hands us `node:crypto`, the fast, synchronous path; anywhere else (Next.js Edge, Workers) Web Crypto
 * is used, with every key imported once and cached.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */

type NodeCrypto = typeof import("node:crypto");

function loadNodeCrypto(): NodeCrypto | undefined {
  const proc = (globalThis as any).process;
  if (proc && typeof proc.getBuiltinModule === "function") {
    try {
      return proc.getBuiltinModule("node:crypto") as NodeCrypto;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

let nodeCrypto: NodeCrypto | undefined | null = null;
function node(): NodeCrypto | undefined {
  if (nodeCrypto === null) nodeCrypto = loadNodeCrypto();
  return nodeCrypto;
}

/** For tests: force the Web Crypto path (as on an edge runtime) or go back to auto-detection. */
export function _setCryptoBackend(backend: "auto" | "web"): void {
  nodeCrypto = backend === "web" ? undefined : null;
}

export function usingNodeCrypto(): boolean {
  return node() !== undefined;
}

const encoder = new TextEncoder();

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
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

export function bytesToBase64(bytes: Uint8Array): string {
  const Buf = (globalThis as any).Buffer;
  if (Buf) return Buf.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  let bin = "";
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]!);
  return btoa(bin);
}

export function bytesToHex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += bytes[i]!.toString(16).padStart(2, "0");
  return s;
}

/**
 * Constant-time equality of two strings of public length (signatures, hashes): every character is
 * compared, with no early exit, so the time depends only on the length. (The same loop as stripe-node's
 * secureCompare; faster here than crypto.timingSafeEqual, which needs two Buffers made per call.)
 */
export function timingSafeEqualString(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** An HMAC-SHA256 key, prepared once at construction. */
export class HmacKey {
  private nodeKey: unknown;
  private webKey: Promise<CryptoKey> | undefined;
  constructor(readonly raw: Uint8Array) {
    const nc = node();
    if (nc) this.nodeKey = nc.createSecretKey(raw);
  }

  /** base64(HMAC-SHA256(key, prefix || body)): sync under Node, a promise elsewhere. */
  sign(prefix: string, body: Uint8Array): string | Promise<string> {
    const nc = node();
    if (nc) {
      const key = (this.nodeKey ??= nc.createSecretKey(this.raw)) as import("node:crypto").KeyObject;
      return nc.createHmac("sha256", key).update(prefix).update(body).digest("base64");
    }
    this.webKey ??= crypto.subtle.importKey(
      "raw",
      this.raw as BufferSource,
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const data = concatBytes(utf8(prefix), body);
    return this.webKey
      .then((k) => crypto.subtle.sign("HMAC", k, data as BufferSource))
      .then((sig) => bytesToBase64(new Uint8Array(sig)));
  }
}

/** SHA-256 of bytes. */
export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  const nc = node();
  if (nc) return new Uint8Array(nc.createHash("sha256").update(data).digest());
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data as BufferSource));
}

/** An Ed25519 public key from a JWK, imported once. */
export class Ed25519Key {
  private nodeKey: unknown;
  private webKey: Promise<CryptoKey> | undefined;
  constructor(readonly jwk: { kty: string; crv: string; x: string; kid?: string }) {
    const nc = node();
    if (nc) this.nodeKey = nc.createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: "jwk" });
  }

  verify(data: Uint8Array, signature: Uint8Array): boolean | Promise<boolean> {
    const nc = node();
    if (nc) {
      const key = (this.nodeKey ??= nc.createPublicKey({
        key: { kty: this.jwk.kty, crv: this.jwk.crv, x: this.jwk.x },
        format: "jwk",
      })) as import("node:crypto").KeyObject;
      return nc.verify(null, data, key, signature);
    }
    this.webKey ??= crypto.subtle.importKey(
      "jwk",
      { kty: this.jwk.kty, crv: this.jwk.crv, x: this.jwk.x },
      { name: "Ed25519" },
      false,
      ["verify"],
    );
    return this.webKey.then((k) => crypto.subtle.verify("Ed25519", k, signature as BufferSource, data as BufferSource));
  }
}
