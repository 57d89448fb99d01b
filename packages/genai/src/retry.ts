import { GenaiError, isTransient, statusOf, unauthorized } from "./errors.js";

/** How long to keep trying when the Gemini API answers "not there yet" or fails transiently. */
export interface RetryOptions {
  /** Give up after this much waiting, ms. Default 60 s (a webhook's results are usually there within seconds). */
  maxWaitMs?: number;
  /** First delay, doubled after each attempt, ms. Default 500. */
  initialDelayMs?: number;
  /** Longest single delay, ms. Default 10 s. */
  maxDelayMs?: number;
  /** Stops waiting (rejects with the signal's reason). */
  signal?: AbortSignal;
  /** The wait between attempts (tests inject one that records the delays). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** What a failed attempt means. */
export type Verdict = "not_ready" | "transient" | "fatal";

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** 404 is "not there yet"; 429/5xx/network are transient; 401/403 and other 4xx are final. */
export function classify(error: unknown): Verdict {
  if (error instanceof GenaiError) return error.code === "not_ready" ? "not_ready" : "fatal";
  if (statusOf(error) === 404) return "not_ready";
  return isTransient(error) ? "transient" : "fatal";
}

/**
 * Runs `attempt` until it succeeds, waiting with exponential backoff between failures that may pass
 * (not ready, 429, 5xx, network), up to `maxWaitMs` of waiting in all. `what` names the call in errors.
 */
export async function withRetry<T>(what: string, attempt: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxWaitMs = options.maxWaitMs ?? 60_000;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const sleep = options.sleep ?? defaultSleep;
  let delay = options.initialDelayMs ?? 500;
  let waited = 0;
  let notReady = 0;
  let transient = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      return await attempt();
    } catch (e) {
      const verdict = classify(e);
      if (verdict === "fatal") throw asFinal(e, what);
      if (verdict === "not_ready") notReady++;
      else transient++;
      const wait = Math.min(delay, maxDelayMs);
      if (waited + wait > maxWaitMs) {
        const status = statusOf(e);
        if (verdict === "not_ready") {
          throw new GenaiError(
            "not_ready",
            `${what}: still not available after ${Math.round(waited / 1000)} s (${notReady + transient} attempts). ` +
              "Gemini writes the results shortly after the event; if this persists, check the job with ai.batches.get and raise maxWaitMs.",
            { status, cause: e },
          );
        }
        throw new GenaiError(
          "unavailable",
          `${what}: the Gemini API kept failing (${status ?? (e as Error)?.message ?? "network error"}) for ${Math.round(waited / 1000)} s; ` +
            "the handler fails so the delivery is retried later.",
          { status, cause: e },
        );
      }
      await sleep(wait, options.signal);
      waited += wait;
      delay *= 2;
    }
  }
}

function asFinal(error: unknown, what: string): unknown {
  if (error instanceof GenaiError) return error;
  const status = statusOf(error);
  if (status === 401 || status === 403) return unauthorized(error, what);
  if (status !== undefined) {
    return new GenaiError("request_failed", `${what}: the Gemini API answered ${status}: ${(error as Error).message}`, { status, cause: error });
  }
  return error;
}
