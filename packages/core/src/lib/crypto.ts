import { bytesToBase64, concatBytes, utf8 } from "./bytes.js";

/**
 * The crypto backends, as stripe-node's CryptoProvider: `nodeCryptoProvider()` (node:crypto, reached with
 * `process.getBuiltinModule`, never a top-level import: the fast, synchronous path under Node, Bun and Deno)
 * and `webCryptoProvider()` (Web Crypto: Next.js Edge, Workers), every key imported once. A receiver takes
 * one as its `crypto` option; the default is Node's where it exists, else Web Crypto.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */

/** The part of node:crypto used here (typed locally: core type-checks without Node's typings). */
interface NodeKeyObject {
  readonly type: string;
}
interface NodeCrypto {
  createSecretKey(key: Uint8Array): NodeKeyObject;
  createHmac(alg: "sha256", key: NodeKeyObject): { update(data: string | Uint8Array): { update(data: string | Uint8Array): { digest(enc: "base64"): string } } };
  createPublicKey(input: { key: { kty: string; crv: string; x: string }; format: "jwk" }): NodeKeyObject;
  verify(alg: null, data: Uint8Array, key: NodeKeyObject, signature: Uint8Array): boolean;
  createHash(alg: "sha256"): { update(data: Uint8Array): { digest(): Uint8Array } };
  hash?: (alg: string, data: Uint8Array, enc: "buffer") => Uint8Array;
}

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

/** An HMAC-SHA256 key, prepared once at construction: `sign` gives base64(HMAC(key, prefix || body)). */
export interface HmacSigner {
  sign(prefix: string, body: Uint8Array): string | Promise<string>;
}

/** An Ed25519 public key, imported once. */
export interface Ed25519Verifier {
  verify(data: Uint8Array, signature: Uint8Array): boolean | Promise<boolean>;
}

/** What a receiver needs from a crypto library. Synchronous results cost no extra tick on the hot path. */
export interface CryptoProvider {
  readonly name: string;
  hmacKey(raw: Uint8Array): HmacSigner;
  /** `x`: the JWK's base64url public key. Throws when it is not an Ed25519 key. */
  ed25519Key(x: string): Ed25519Verifier;
  sha256(data: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** node:crypto; undefined where the runtime has none. */
export function nodeCryptoProvider(): CryptoProvider | undefined {
  const nc = node();
  if (!nc) return undefined;
  const hash = nc.hash;
  return {
    name: "node",
    hmacKey(raw) {
      const key = nc.createSecretKey(raw);
      return { sign: (prefix, body) => nc.createHmac("sha256", key).update(prefix).update(body).digest("base64") };
    },
    ed25519Key(x) {
      const key = nc.createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
      return { verify: (data, signature) => nc.verify(null, data, key, signature) };
    },
    sha256: hash ? (data) => hash("sha256", data, "buffer") : (data) => new Uint8Array(nc.createHash("sha256").update(data).digest()),
  };
}

/** Web Crypto (crypto.subtle), available on every runtime; each key is imported once. */
export function webCryptoProvider(): CryptoProvider {
  const subtle = globalThis.crypto.subtle;
  return {
    name: "web",
    hmacKey(raw) {
      const key = subtle.importKey("raw", raw as BufferSource, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      key.catch(() => undefined);
      return {
        sign: async (prefix, body) => bytesToBase64(new Uint8Array(await subtle.sign("HMAC", await key, concatBytes(utf8(prefix), body) as BufferSource))),
      };
    },
    ed25519Key(x) {
      if (!/^[A-Za-z0-9_-]{43}$/.test(x)) throw new TypeError("not an Ed25519 public key");
      const key = subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x }, { name: "Ed25519" }, false, ["verify"]);
      key.catch(() => undefined);
      return { verify: async (data, signature) => subtle.verify("Ed25519", await key, signature as BufferSource, data as BufferSource) };
    },
    sha256: async (data) => new Uint8Array(await subtle.digest("SHA-256", data as BufferSource)),
  };
}

let fallback: CryptoProvider | undefined;
/** Node's crypto where the runtime has it, else Web Crypto. */
export function defaultCryptoProvider(): CryptoProvider {
  return (fallback ??= nodeCryptoProvider() ?? webCryptoProvider());
}

export function isCryptoProvider(v: unknown): v is CryptoProvider {
  const p = v as CryptoProvider;
  return typeof v === "object" && v !== null && typeof p.hmacKey === "function" && typeof p.ed25519Key === "function" && typeof p.sha256 === "function";
}
