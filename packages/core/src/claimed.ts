import { errorResult, ok } from "./answers.js";
import type { DeadLetterStore } from "./dead-letters.js";
import { WebhookVerificationError } from "./errors.js";
import type { AnyGeminiEvent, UserMetadata } from "./events.js";
import type { Observation } from "./hooks.js";
import type { LeaseKeeper } from "./leases.js";
import type { Reporter } from "./logging.js";
import type { IdempotencyStore } from "./store.js";
import type { HandleResult, VerifiedDelivery } from "./types.js";

/** A verified delivery whose id is claimed: settle it exactly once. */
export interface ClaimedDelivery<M = UserMetadata> extends VerifiedDelivery<M> {
  /** Marks the id processed and returns the 200 answer (`received`, or `ignored`). */
  complete(status?: "received" | "ignored"): Promise<HandleResult<M>>;
  /**
   * Releases the claim (so Gemini's retry can succeed), keeps the delivery as a dead letter, reports the
   * error (once), and returns the answer: 500 `handler_failed` unless another is given.
   */
  fail(error: unknown, options?: { stage?: "handler" | "queue"; answer?: WebhookVerificationError }): Promise<HandleResult<M>>;
}

export interface ClaimDeps {
  store: IdempotencyStore | undefined;
  leases: LeaseKeeper;
  deadLetters: DeadLetterStore | undefined;
  reporter: Reporter;
  now: () => number;
}

function settleStore(deps: ClaimDeps, how: "complete" | "release", verified: VerifiedDelivery<any>): void | Promise<void> {
  const { store, reporter } = deps;
  const key = verified.ctx.idempotencyKey;
  deps.leases.drop(key);
  if (!store) return;
  const failed = (e: unknown) => reporter.report(e, { stage: "complete", webhookId: verified.ctx.webhookId, event: verified.event as AnyGeminiEvent });
  try {
    const r = store[how](key);
    if (r && typeof (r as Promise<void>).then === "function") return (r as Promise<void>).then(undefined, failed);
  } catch (e) {
    failed(e);
  }
}

/** Runs a dead-letter store call without letting it block or change the answer. */
function deadLetter(deps: ClaimDeps, verified: VerifiedDelivery<any>, call: (s: DeadLetterStore) => void | Promise<void>): void {
  if (!deps.deadLetters) return;
  const failed = (e: unknown) => deps.reporter.report(e, { stage: "dead_letters", webhookId: verified.ctx.webhookId, event: verified.event as AnyGeminiEvent });
  try {
    const r = call(deps.deadLetters);
    if (r && typeof (r as Promise<void>).then === "function") (r as Promise<void>).catch(failed);
  } catch (e) {
    failed(e);
  }
}

function recordDeadLetter(deps: ClaimDeps, verified: VerifiedDelivery<any>, error: unknown, code: string): void {
  const { event, ctx } = verified;
  const cause = error instanceof Error ? error : new Error(String(error));
  deadLetter(deps, verified, (s) =>
    s.record(
      {
        id: ctx.idempotencyKey,
        event: event as AnyGeminiEvent,
        ctx: {
          webhookId: ctx.webhookId,
          timestamp: ctx.timestamp.toISOString(),
          scheme: ctx.scheme,
          ...(ctx.secretIndex !== undefined ? { secretIndex: ctx.secretIndex } : {}),
          ...(ctx.keyId !== undefined ? { keyId: ctx.keyId } : {}),
        },
        error: { name: cause.name, message: cause.message, code },
      },
      deps.now(),
    ),
  );
}

/** The claimed delivery of `verified`: its claim is kept alive until it is settled, once. */
export function claimedDelivery<M>(verified: VerifiedDelivery<M>, deps: ClaimDeps, obs: Observation): ClaimedDelivery<M> {
  const { event, ctx } = verified;
  let settled = false;
  deps.leases.hold(ctx.idempotencyKey);
  return {
    event,
    ctx,
    async complete(status = "received") {
      if (!settled) {
        settled = true;
        const s = settleStore(deps, "complete", verified);
        deadLetter(deps, verified, (d) => d.remove(ctx.idempotencyKey));
        if (s) await s;
        return obs.end(ok(status, verified));
      }
      return ok(status, verified);
    },
    async fail(error, options = {}) {
      const answer =
        options.answer ??
        new WebhookVerificationError("handler_failed", `A handler for ${event.type} failed; the delivery was not marked processed, so Gemini's retry will run it again.`, { cause: error });
      const result = { ...errorResult(answer), event, ctx } as HandleResult<M>;
      if (settled) return result;
      settled = true;
      const s = settleStore(deps, "release", verified);
      deps.reporter.report(error, { stage: options.stage ?? "handler", webhookId: ctx.webhookId, event: event as AnyGeminiEvent, code: answer.code });
      if ((options.stage ?? "handler") === "handler") recordDeadLetter(deps, verified, error, answer.code);
      if (s) await s;
      return obs.end(result);
    },
  };
}
