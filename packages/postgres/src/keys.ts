import { createHash } from "node:crypto";

/** Longest key stored as it is, in UTF-16 code units; longer ones are stored as a hash (a btree entry must stay small). */
const LONG = 200;

/**
 * The text a key is stored under. Postgres text holds no NUL and no lone surrogate, and a btree entry holds at
 * most about 2.7 KB, while idempotency keys come from the sender (a JWT's `jti`). So: `\`, NUL and lone
 * surrogates are written as `\uXXXX` (one-to-one: every `\` in the result starts an escape), and a key longer
 * than 200 characters is stored as `\h` + its SHA-256 (a prefix no escaped key can have). Plain keys are unchanged.
 */
export function storedKey(key: string): string {
  if (key.length > LONG) return `\\h${createHash("sha256").update(key, "utf16le").digest("hex")}`;
  // eslint-disable-next-line no-control-regex
  return key.replace(/[\\\0]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
