/** Every error code a receiver answers with: a closed union. */
export const ERROR_CODES = [
  "missing_header",
  "invalid_header",
  "unsupported_signature",
  "timestamp_too_old",
  "timestamp_too_new",
  "signature_mismatch",
  "invalid_jwt",
  "body_mismatch",
  "unbound_body",
  "invalid_json",
  "body_too_large",
  "method_not_allowed",
  "in_progress",
  "handler_failed",
  "keys_unavailable",
  "store_unavailable",
  "configuration",
  "body_timeout",
] as const;

export type WebhookErrorCode = (typeof ERROR_CODES)[number];

/** The HTTP status each code is answered with. */
export const ERROR_STATUS: { readonly [C in WebhookErrorCode]: number } = {
  missing_header: 400,
  invalid_header: 400,
  unsupported_signature: 400,
  timestamp_too_old: 400,
  timestamp_too_new: 400,
  signature_mismatch: 400,
  invalid_jwt: 400,
  body_mismatch: 400,
  unbound_body: 400,
  invalid_json: 400,
  body_too_large: 413,
  method_not_allowed: 405,
  in_progress: 409,
  handler_failed: 500,
  keys_unavailable: 503,
  store_unavailable: 503,
  configuration: 500,
  body_timeout: 408,
};

/** How a delivery was authenticated: a signature scheme, or `"reconcile"` for an event found by reconciliation. */
export type SignatureScheme = "v1" | "v1a" | "jwt" | "reconcile";

/**
 * Raised by `verify` (and reported by `handle`) with a stable `code` and the HTTP `status` to answer.
 * Messages never contain a secret, an expected signature or a stack trace.
 */
export class WebhookVerificationError extends Error {
  override readonly name = "WebhookVerificationError";
  readonly code: WebhookErrorCode;
  readonly status: number;
  /** The signature scheme that was tried, when one was. */
  readonly scheme: SignatureScheme | undefined;
  /**
   * The delivery came in a scheme this receiver is not configured for (400 `unsupported_signature` whose
   * message names the option to add): logged once per scheme as a warning, never as a 5xx.
   */
  readonly unconfigured: boolean;

  constructor(code: WebhookErrorCode, message: string, options?: { scheme?: SignatureScheme; cause?: unknown; unconfigured?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.scheme = options?.scheme;
    this.unconfigured = options?.unconfigured === true;
  }

  /** The JSON body a receiver answers with. */
  toJSON(): { error: { code: WebhookErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/**
 * Thrown at construction for a bad option: a startup error, never a per-request one. Every configuration
 * mistake is this one class, with `code` "configuration" and the `option` at fault.
 */
export class GeminiWebhooksConfigError extends Error {
  override readonly name = "GeminiWebhooksConfigError";
  readonly code = "configuration" as const;
  /** The option at fault, e.g. "secret", "jwks.uri", "idempotency". */
  readonly option: string;

  constructor(option: string, message: string) {
    super(message);
    this.option = option;
  }
}

/** 400 `unsupported_signature` for a delivery in a scheme this receiver is not configured for: the message names the option to add. */
export function unconfigured(scheme: SignatureScheme, message: string): WebhookVerificationError {
  return new WebhookVerificationError("unsupported_signature", message, { scheme, unconfigured: true });
}

/** The client went away before its body arrived: nobody's error (logged at debug, no answer written). */
export class ClientAbortError extends Error {
  override readonly name = "ClientAbortError";
  readonly code = "client_abort" as const;
  constructor(message = "The client closed the connection before the body arrived.") {
    super(message);
  }
}

/**
 * The JWKS could not be had (unreachable, timeout, a redirect, not JSON, too large): the message names the
 * uri (origin + path) and the cause, nothing secret. Answered as 503 `keys_unavailable`.
 */
export class JwksFetchError extends Error {
  override readonly name = "JwksFetchError";
  readonly code = "keys_unavailable" as const;
}

export function isWebhookVerificationError(e: unknown): e is WebhookVerificationError {
  return e instanceof WebhookVerificationError;
}
