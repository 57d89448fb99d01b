import { ClientAbortError } from "../errors.js";
import type { UserMetadata } from "../events.js";
import { isPost } from "../lib/http.js";
import type { GeminiWebhooks } from "../receiver/create.js";
import { internalsOf } from "../receiver/internals.js";
import type { HandleResult } from "../receiver/types.js";
import type { HeadersInput } from "../verify/headers.js";
import { errorResponse } from "./answers.js";

/** One request as an adapter sees it: the method, the headers, and a way to read the raw body. */
export interface IncomingDelivery {
  /** The request method; undefined is taken as POST. */
  method: string | undefined;
  headers: HeadersInput;
  /**
   * The raw body; called only for POST. Throws (or rejects with) a WebhookVerificationError (413
   * body_too_large, 408 body_timeout, 500 configuration) or a ClientAbortError.
   */
  body(): Uint8Array | string | Promise<Uint8Array | string>;
}

/** A result to write; `aborted` means the client is gone: write nothing. */
export type ReceiveResult<M = UserMetadata> = HandleResult<M> & { aborted?: true };

/**
 * The answer to a failed body read: a client that went away gets nothing written (logged at debug: not an
 * error of anyone's); anything else is the error's answer, reported like core's own. The one home of both.
 */
export function readFailed<M>(webhooks: GeminiWebhooks<M, any>, e: unknown): ReceiveResult<M> {
  const internals = internalsOf(webhooks);
  if (e instanceof ClientAbortError) {
    internals.logger.debug(`[gemini-webhooks] ${e.message}`);
    return { ...errorResponse("body_timeout", e.message), aborted: true };
  }
  return internals.reject(e);
}

/**
 * The framework-neutral receive path: method check, body read, `handle()`, a read failure answered.
 * Never rejects. A chain, not an async function: a body already in hand (a parser kept it) goes to
 * `handle()` in this call, and the caller's reaction to `handle()`'s promise is the only one between the
 * request and the answer (bench/promises.mjs counts the promises a request makes).
 */
export function receive<M>(webhooks: GeminiWebhooks<M, any>, incoming: IncomingDelivery): Promise<ReceiveResult<M>> {
  const { method, headers } = incoming;
  // another method: the pipeline's 405 (the body is not read)
  if (!isPost(method)) return webhooks.handle({ method: method!, body: "", headers });
  let body: Uint8Array | string | Promise<Uint8Array | string>;
  try {
    body = incoming.body();
  } catch (e) {
    return Promise.resolve(readFailed(webhooks, e));
  }
  const post = (bytes: Uint8Array | string) => webhooks.handle({ method: method ?? "POST", body: bytes, headers });
  // (Promise.resolve: a native promise as it is; any other thenable, or bytes of another kind, made one)
  return typeof body === "string" || body instanceof Uint8Array ? post(body) : Promise.resolve(body).then(post, (e: unknown) => readFailed(webhooks, e));
}
