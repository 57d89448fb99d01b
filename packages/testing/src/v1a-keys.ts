import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";

/**
 * Standard Webhooks v1a keys: `whsk_…` signs, `whpk_…` verifies (the receiver's `publicKey` option).
 * `whpk_` is the standard base64 (padded) of the 32-byte raw Ed25519 public key. `whsk_` is accepted in
 * both forms the open Standard Webhooks pull requests use: 64 bytes (seed then public key, the JS one)
 * and the 32-byte seed alone (the Go and Python ones); generated keys use the 64-byte form.
 */

const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: "jwk" }) as { x: string };
  return Buffer.from(jwk.x, "base64url");
}

/** The Ed25519 private key of a `whsk_…` signing key (32-byte seed, or 64 bytes: seed then public key). */
export function v1aSigningKey(whsk: string): KeyObject {
  const body = whsk.trim().replace(/^whsk_/, "");
  const raw = Buffer.from(body, "base64");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || (raw.length !== 32 && raw.length !== 64)) {
    throw new TypeError('A v1a signing key is "whsk_" followed by the base64 of a 32-byte Ed25519 seed, or of 64 bytes (seed then public key).');
  }
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, raw.subarray(0, 32)]), format: "der", type: "pkcs8" });
  if (raw.length === 64 && !rawPublicKey(createPublicKey(key)).equals(raw.subarray(32))) {
    throw new TypeError("This 64-byte whsk_ key's public half does not belong to its seed.");
  }
  return key;
}

/** The `whpk_…` public key of a `whsk_…` signing key. */
export function v1aPublicKey(whsk: string): string {
  return `whpk_${rawPublicKey(createPublicKey(v1aSigningKey(whsk))).toString("base64")}`;
}

/** A new v1a key pair: `secretKey` (`whsk_…`, 64 bytes) signs (signV1a's privateKey), `publicKey` (`whpk_…`) goes to the receiver. */
export function generateV1aKeyPair(): { secretKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const seed = Buffer.from((privateKey.export({ format: "jwk" }) as { d: string }).d, "base64url");
  const pub = rawPublicKey(publicKey);
  return { secretKey: `whsk_${Buffer.concat([seed, pub]).toString("base64")}`, publicKey: `whpk_${pub.toString("base64")}` };
}
