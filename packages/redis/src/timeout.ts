/** Thrown when Redis does not answer in time; core turns it into 503 `store_unavailable`. */
export class RedisTimeoutError extends Error {
  override readonly name = "RedisTimeoutError";
}

/** Rejects when `promise` has not settled within `ms` (0: wait forever). The timer never keeps the process alive. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  if (!(ms > 0)) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new RedisTimeoutError(`Redis did not answer ${what} within ${ms} ms.`)), ms);
    timer.unref?.();
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

export function checkMs(fn: string, name: string, v: unknown, min: number): void {
  if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v) || v < min)) {
    throw new RangeError(`${fn}: ${name} must be a number ≥ ${min} (milliseconds).`);
  }
}
