import type { AnyGeminiEvent } from "../events.js";
import type { Reporter } from "../logging.js";
import type { DeliveryObserver, HandleResult, HandlerRunInfo, WebhookContext, WebhookHooks } from "../receiver/types.js";

/** The observers of one delivery, combined; each call is guarded (a throwing hook is logged, never answered). */
export interface Observation {
  /** Whether handlers need wrapping (false when no observer wraps them: the hot path skips it). */
  readonly wraps: boolean;
  verified(event: AnyGeminiEvent, ctx: WebhookContext): void;
  /** Runs a handler inside every observer's wrapper (or directly when there is none). */
  handler<T>(info: HandlerRunInfo, run: () => Promise<T>): Promise<T>;
  end(result: HandleResult<any>): HandleResult<any>;
}

const quiet: Observation = {
  wraps: false,
  verified: () => undefined,
  handler: (_info, run) => run(),
  end: (result) => result,
};

/** Starts the observation of one delivery: `start()` is cheap (a shared no-op) when no hook is set. */
export function createObservers(hooks: readonly WebhookHooks[], reporter: Reporter, now: () => number): () => Observation {
  if (hooks.length === 0) return () => quiet;
  const failed = (e: unknown) => reporter.report(e, { stage: "hook" });
  return () => {
    const startedAt = now();
    const observers: DeliveryObserver[] = [];
    for (const h of hooks) {
      try {
        const o = h.onDelivery?.({ startedAt });
        if (o) observers.push(o);
      } catch (e) {
        failed(e);
      }
    }
    if (observers.length === 0) return quiet;
    let ended = false;
    return {
      wraps: observers.some((o) => typeof o.handler === "function"),
      verified(event, ctx) {
        for (const o of observers) {
          try {
            o.verified?.(event, ctx);
          } catch (e) {
            failed(e);
          }
        }
      },
      handler<T>(info: HandlerRunInfo, run: () => Promise<T>): Promise<T> {
        let wrapped = run;
        for (const o of observers) {
          if (!o.handler) continue;
          const inner = wrapped;
          let ran: Promise<T> | undefined;
          const once = () => (ran ??= inner());
          wrapped = () => {
            try {
              // a wrapper that throws before running the handler must not skip it
              return Promise.resolve(o.handler!(info, once)).then(
                (v) => v,
                (e) => (ran ? Promise.reject(e) : (failed(e), once())),
              ) as Promise<T>;
            } catch (e) {
              failed(e);
              return once();
            }
          };
        }
        return wrapped();
      },
      end(result) {
        if (ended) return result;
        ended = true;
        for (const o of observers) {
          try {
            o.end?.(result);
          } catch (e) {
            failed(e);
          }
        }
        return result;
      },
    };
  };
}
