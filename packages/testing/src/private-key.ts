import { createPrivateKey, type KeyObject } from "node:crypto";
import { v1aSigningKey } from "./v1a-keys.js";

/** A private key: a node KeyObject, a PEM string, a private JWK, or a Standard Webhooks v1a signing key ("whsk_…"). */
export type PrivateKeyInput = KeyObject | string | { kty: string; d: string; [k: string]: unknown };

/** The KeyObject of any PrivateKeyInput. */
export function toKeyObject(key: PrivateKeyInput): KeyObject {
  if (typeof key === "object" && "asymmetricKeyType" in key) return key as KeyObject;
  if (typeof key === "string") return key.trim().startsWith("whsk_") ? v1aSigningKey(key) : createPrivateKey(key);
  return createPrivateKey({ key: key as never, format: "jwk" });
}
