import { errorResponse } from "./answers.js";
import type { GeminiWebhooks } from "./create.js";
import type { UserMetadata } from "./events.js";
import type { HeadersInput } from "./headers.js";
import { ClientAbortError } from "./messages.js";
import type { HandleResult } from "./types.js";

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
}

/** A result to write; `aborted` means the client is gone: write nothing. */
export type ReceiveResult<M = UserMetadata> = HandleResult<M> & { aborted?: true };

/** Method check, body read, the whole pipeline; a read failure becomes its answer (logged once). Never throws. */
export async function receive<M>(webhooks: GeminiWebhooks<M>, incoming: IncomingDelivery): Promise<ReceiveResult<M>> {
  const method = incoming.method ?? "POST";
  if (method.toUpperCase() !== "POST") return webhooks.handle({ method, body: "", headers: incoming.headers });
  let body: Uint8Array | string;
  try {
    body = await incoming.body();
  } catch (e) {
    if (e instanceof ClientAbortError) {
      webhooks.logger.debug(`[gemini-webhooks] ${e.message}`);
      return { ...errorResponse("body_timeout", e.message), aborted: true };
    }
    return webhooks.reject(e);
  }
  return webhooks.handle({ method, body, headers: incoming.headers });
}

/** Whether the connection should close after this answer (the rest of the body was left unread). */
export function closesConnection(result: HandleResult<any>): boolean {
  return result.status === 413 || result.status === 408;
}

