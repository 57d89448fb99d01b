import { errorResult, ok } from "./answers.js";
import type { DeadLetterStore } from "./dead-letters.js";
import { WebhookVerificationError } from "./errors.js";
import type { AnyGeminiEvent, UserMetadata } from "./events.js";
import type { Observation } from "./hooks.js";
import type { LeaseKeeper } from "./leases.js";
import type { Reporter } from "./logging.js";
import type { IdempotencyStore } from "./store.js";
import { isThenable, type MaybePromise } from "./maybe.js";
import type { HandleResult, VerifiedDelivery } from "./types.js";

/** A verified delivery whose id is claimed: settle it exactly once. */
export interface ClaimedDelivery<M = UserMetadata> extends VerifiedDelivery<M> {
  /** Marks the id processed and returns the 200 answer (`received`, or `ignored`). */
  complete(status?: "received" | "ignored"): Promise<HandleResult<M>>;
  /**
   * Releases the claim (so Gemini's retry can succeed), keeps the delivery as a dead letter, reports the
   * error (once), and returns the answer: 500 `handler_failed` unless another is given.
   */
  fail(error: unknown, options?: { stage?: "handler" | "queue" | "store"; answer?: WebhookVerificationError }): Promise<HandleResult<M>>;
}

export interface ClaimDeps {
  store: IdempotencyStore | undefined;
  leases: LeaseKeeper;
  deadLetters: DeadLetterStore | undefined;
  reporter: Reporter;
  now: () => number;
}

function settleFailed(reporter: ClaimDeps["reporter"], verified: VerifiedDelivery<any>, e: unknown): void {
  reporter.report(e, { stage: "complete", webhookId: verified.ctx.webhookId, event: verified.event as AnyGeminiEvent });
}

function settleStore(deps: ClaimDeps, how: "complete" | "release" | "marked", verified: VerifiedDelivery<any>, held: boolean): void | Promise<void> {
  const { store, reporter } = deps;
  const key = verified.ctx.idempotencyKey;
  if (held) deps.leases.drop(key);
  // "marked": the store's unit of work already marked the id done, with the handlers' writes
  if (!store || how === "marked") return;
  try {
    const r = how === "complete" ? store.complete(key) : store.release(key);
    if (isThenable<void>(r)) return (r as Promise<void>).then(undefined, (e: unknown) => settleFailed(reporter, verified, e));
  } catch (e) {
    settleFailed(reporter, verified, e);
  }
}

function deadLetterFailed(deps: ClaimDeps, verified: VerifiedDelivery<any>, e: unknown): void {
  deps.reporter.report(e, { stage: "dead_letters", webhookId: verified.ctx.webhookId, event: verified.event as AnyGeminiEvent });
}

/** The outcome of a dead-letter store call, without letting it block or change the answer. */
function deadLetterDone(deps: ClaimDeps, verified: VerifiedDelivery<any>, r: void | Promise<void>): void {
  if (isThenable<void>(r)) (r as Promise<void>).catch((e: unknown) => deadLetterFailed(deps, verified, e));
}

function recordDeadLetter(deps: ClaimDeps, verified: VerifiedDelivery<any>, error: unknown, code: string): void {
  if (!deps.deadLetters) return;
  const { event, ctx } = verified;
  const cause = error instanceof Error ? error : new Error(String(error));
  try {
    deadLetterDone(
      deps,
      verified,
      deps.deadLetters.record(
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
  } catch (e) {
    deadLetterFailed(deps, verified, e);
  }
}

/** A success removes the delivery's dead letter, if it had one. */
function removeDeadLetter(deps: ClaimDeps, verified: VerifiedDelivery<any>): void {
  if (!deps.deadLetters) return;
  try {
    deadLetterDone(deps, verified, deps.deadLetters.remove(verified.ctx.idempotencyKey));
  } catch (e) {
    deadLetterFailed(deps, verified, e);
  }
}

/**
 * A claim on `verified` until it is settled, once: the synchronous core of a ClaimedDelivery (the answer
 * comes back as a value when the store settles synchronously, else as a promise). Its lease is renewed
 * (LeaseKeeper) from `hold()` until it is settled: the pipeline holds it only when a handler, queue or
 * hook goes asynchronous, since no renewal can happen before that; `begin()`'s deliveries are held at once.
 */
export class Claim<M = UserMetadata> {
  private settled = false;
  private held = false;

  constructor(
    readonly verified: VerifiedDelivery<M>,
    private readonly deps: ClaimDeps,
    private readonly obs: Observation,
  ) {}

  /** Keeps the lease alive until the claim is settled. */
  hold(): void {
    if (this.held || this.settled) return;
    this.held = true;
    this.deps.leases.hold(this.verified.ctx.idempotencyKey);
  }

  /** `marked`: the store's unit of work has marked the id done already (only the lease is dropped). */
  complete(status: "received" | "ignored" = "received", marked = false): MaybePromise<HandleResult<M>> {
    const verified = this.verified;
    if (this.settled) return ok(status, verified);
    this.settled = true;
    const s = settleStore(this.deps, marked ? "marked" : "complete", verified, this.held);
    removeDeadLetter(this.deps, verified);
    if (s) return s.then(() => this.obs.end(ok(status, verified)));
    return this.obs.end(ok(status, verified));
  }

  fail(error: unknown, options: { stage?: "handler" | "queue" | "store"; answer?: WebhookVerificationError } = {}): MaybePromise<HandleResult<M>> {
    const { event, ctx } = this.verified;
    const answer =
      options.answer ??
      new WebhookVerificationError("handler_failed", `A handler for ${event.type} failed; the delivery was not marked processed, so Gemini's retry will run it again.`, { cause: error });
    const result = { ...errorResult(answer), event, ctx } as HandleResult<M>;
    if (this.settled) return result;
    this.settled = true;
    const s = settleStore(this.deps, "release", this.verified, this.held);
    this.deps.reporter.report(error, { stage: options.stage ?? "handler", webhookId: ctx.webhookId, event: event as AnyGeminiEvent, code: answer.code });
    if ((options.stage ?? "handler") === "handler") recordDeadLetter(this.deps, this.verified, error, answer.code);
    if (s) return s.then(() => this.obs.end(result));
    return this.obs.end(result);
  }
}

/** The claimed delivery of a claim (what `begin()` gives): its claim is kept alive until it is settled, once. */
export function claimedDelivery<M>(claim: Claim<M>): ClaimedDelivery<M> {
  const { event, ctx } = claim.verified;
  claim.hold();
  return {
    event,
    ctx,
    complete: async (status) => claim.complete(status),
    fail: async (error, options) => claim.fail(error, options),
  };
}
