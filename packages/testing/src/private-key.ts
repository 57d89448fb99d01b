import { createPrivateKey, type KeyObject } from "node:crypto";

/** A private key: a node KeyObject, a PEM string, or a private JWK. */
export type PrivateKeyInput = KeyObject | string | { kty: string; d: string; [k: string]: unknown };

/** The KeyObject of any PrivateKeyInput. */
export function toKeyObject(key: PrivateKeyInput): KeyObject {
  if (typeof key === "object" && "asymmetricKeyType" in key) return key as KeyObject;
  if (typeof key === "string") return createPrivateKey(key);
  return createPrivateKey({ key: key as never, format: "jwk" });
}
