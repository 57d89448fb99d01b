import { errorResponse } from "./answers.js";
import type { GeminiWebhooks } from "./create.js";
import type { UserMetadata } from "./events.js";
import type { HeadersInput } from "./headers.js";
import { ClientAbortError } from "./messages.js";
import { isThenable, type MaybePromise } from "./maybe.js";
import type { HandleResult, WebhookRequest } from "./types.js";

/** The framework-neutral receive path: method check, body read, the pipeline, read failures answered. */

export interface IncomingDelivery {
  /** The request method; undefined is taken as POST. */
  method: string | undefined;
  headers: HeadersInput;
  /**
   * The raw body; called only for POST. Throws WebhookVerificationError (413 body_too_large, 408
   * body_timeout, 500 configuration) or ClientAbortError.
   */
  body(): Uint8Array | string | Promise<Uint8Array | string>;
  /** The headers are node:http's IncomingMessage.headers (names lower-cased, repeats joined). */
  nodeHeaders?: boolean;
}

/** A result to write; `aborted` means the client is gone: write nothing. */
export type ReceiveResult<M = UserMetadata> = HandleResult<M> & { aborted?: true };

/**
 * The instance's pipeline as a value-or-promise (`handle()` without the promise it always returns), for
 * receive paths inside core. Keyed by a registry symbol, as the instance brand (two copies of core, ESM
 * and CJS, still find it).
 */
export const HANDLE_NOW = Symbol.for("gemini-webhooks.handleNow");

/** `nodeHeaders`: the request's headers are node:http's (names lower-cased, repeats joined): read directly. */
type HandleNow<M> = (request: WebhookRequest, nodeHeaders?: boolean) => MaybePromise<HandleResult<M>>;

export function handleNowOf<M>(webhooks: GeminiWebhooks<M>): HandleNow<M> {
  // only while `handle` is still the instance's own: a wrapper that replaced it ({ ...webhooks, handle }) is respected
  const now = (webhooks as unknown as Record<symbol, (HandleNow<M> & { handle?: unknown }) | undefined>)[HANDLE_NOW];
  return now !== undefined && now.handle === webhooks.handle ? now : webhooks.handle;
}

/** The answer to a failed body read: an abort (nothing to write, logged at debug), else the error's answer. */
export function readFailed<M>(webhooks: GeminiWebhooks<M>, e: unknown): ReceiveResult<M> {
  if (e instanceof ClientAbortError) {
    webhooks.logger.debug(`[gemini-webhooks] ${e.message}`);
    return { ...errorResponse("body_timeout", e.message), aborted: true };
  }
  return webhooks.reject(e);
}

/** receive() as a value when every step was synchronous (a body already read, a synchronous store). Never throws. */
export function receiveNow<M>(webhooks: GeminiWebhooks<M>, incoming: IncomingDelivery): MaybePromise<ReceiveResult<M>> {
  const handle = handleNowOf(webhooks);
  const method = incoming.method ?? "POST";
  const headers = incoming.headers;
  if (method !== "POST" && method.toUpperCase() !== "POST") return handle({ method, body: "", headers });
  let body: Uint8Array | string | Promise<Uint8Array | string>;
  try {
    body = incoming.body();
  } catch (e) {
    return readFailed(webhooks, e);
  }
  const node = incoming.nodeHeaders === true;
  if (isThenable<Uint8Array | string>(body)) {
    return Promise.resolve(body).then(
      (b) => handle({ method, body: b, headers }, node),
      (e: unknown) => readFailed(webhooks, e),
    );
  }
  return handle({ method, body, headers }, node);
}

/** Method check, body read, the whole pipeline; a read failure becomes its answer (logged once). Never throws. */
export function receive<M>(webhooks: GeminiWebhooks<M>, incoming: IncomingDelivery): Promise<ReceiveResult<M>> {
  try {
    return Promise.resolve(receiveNow(webhooks, incoming));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Whether the connection should close after this answer (the rest of the body was left unread). */
export function closesConnection(result: HandleResult<any>): boolean {
  return result.status === 413 || result.status === 408;
}

