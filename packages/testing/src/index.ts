export { fixtures, fixture, allFixtures } from "./fixtures.js";
export {
  signStatic,
  generateSecret,
  secretBytes,
  newMessageId,
  v1Signature,
  type SignStaticInput,
  type SignedDelivery,
} from "./sign-static.js";
export { signV1a, type SignV1aInput } from "./sign-v1a.js";
export { generateV1aKeyPair, v1aPublicKey, v1aSigningKey } from "./v1a-keys.js";
export { signJwt, signJwsCompact, publicKeyPem, type SignJwtInput, type JwtKeyInput, type JwtBodyBinding, type JwtDelivery } from "./sign-jwt.js";
export type { PrivateKeyInput } from "./private-key.js";
export { createTestIssuer, type TestIssuer, type TestIssuerOptions, type TestKey, type JwksFault, type JwksFaultOptions } from "./issuer.js";
export {
  createSender,
  formatStats,
  type Sender,
  type SenderOptions,
  type SenderRetryOptions,
  type SenderScheme,
  type SenderIssuer,
  type SenderStats,
  type AttemptReport,
  type AttemptOutcome,
  type DeliveryReport,
} from "./sender.js";
