/** Values that may or may not be promises: the hot path stays synchronous until something is asynchronous. */

export type MaybePromise<T> = T | Promise<T>;

export function isThenable<T>(v: unknown): v is PromiseLike<T> {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as { then?: unknown }).then === "function";
}
