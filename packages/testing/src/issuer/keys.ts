import { createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";

// The test issuer's signing keys: an Ed25519 key (v1a, EdDSA JWTs) and an RSA key (RS256 JWTs), each with
// the public JWK the issuer serves.

export interface TestKey {
  kid: string | undefined;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public JWK as served. */
  jwk: Record<string, unknown>;
}

let kidCounter = 0;
function newKid(kind: string): string {
  return `test-${kind}-${++kidCounter}-${randomBytes(3).toString("hex")}`;
}

/** A key pair and its public JWK: fresh, or from a given private key (keys kept on disk). */
export function makeKey(kind: "ed25519" | "rsa", bits: number, withKid: boolean, given?: { privateKey: KeyObject; kid?: string }): TestKey {
  const { privateKey, publicKey } = given
    ? { privateKey: given.privateKey, publicKey: createPublicKey(given.privateKey) }
    : kind === "ed25519"
      ? generateKeyPairSync("ed25519")
      : generateKeyPairSync("rsa", { modulusLength: bits });
  const kid = given ? given.kid : withKid ? newKid(kind) : undefined;
  const jwk = { ...(publicKey.export({ format: "jwk" }) as Record<string, unknown>), ...(kid ? { kid } : {}), use: "sig", alg: kind === "ed25519" ? "EdDSA" : "RS256" };
  return { kid, privateKey, publicKey, jwk };
}

