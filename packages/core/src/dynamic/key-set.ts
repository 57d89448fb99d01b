import type { ResolvedJwksOptions } from "./options.js";

/** One public JWK as served (only the members we read are typed). */
export interface PublicJwk {
  kty?: unknown;
  crv?: unknown;
  kid?: unknown;
  alg?: unknown;
  use?: unknown;
  key_ops?: unknown;
  x?: unknown;
  y?: unknown;
  n?: unknown;
  e?: unknown;
  [k: string]: unknown;
}

/** One successful fetch of the JWKS. Per-scheme views of it are memoised on the snapshot. */
export interface JwksSnapshot {
  readonly keys: readonly PublicJwk[];
  /** deps.now() when it was fetched. */
  readonly fetchedAt: number;
  readonly memo: Map<string, unknown>;
}

/** Why the JWKS could not be had: the message names the URI and the cause, nothing secret. */
export class JwksFetchError extends Error {
  override readonly name = "JwksFetchError";
}

/** A JWKS larger than this is not a key set. */
const MAX_JWKS_BYTES = 512 * 1024;

/**
 * The key cache of one receiver: the last good JWKS, fetched with the web `fetch` (any runtime), a timeout
 * that covers the whole response (headers and body), one shared fetch for concurrent callers, a cooldown
 * between fetches caused by unknown keys, and stale-while-error (a failed refresh keeps the old keys).
 */
export class JwksKeySet {
  private snapshot: JwksSnapshot | undefined;
  private pending: Promise<JwksSnapshot> | undefined;

  constructor(
    private readonly options: Pick<ResolvedJwksOptions, "uri" | "cooldownMs" | "cacheMaxAgeMs" | "timeoutMs">,
    private readonly now: () => number,
  ) {}

  /** The last good JWKS, however old. */
  current(): JwksSnapshot | undefined {
    return this.snapshot;
  }

  /** Whether the cached JWKS is younger than cacheMaxAgeMs. */
  fresh(): boolean {
    return this.snapshot !== undefined && this.now() < this.snapshot.fetchedAt + this.options.cacheMaxAgeMs;
  }

  /** Whether a fetch for an unknown key must wait (the last good fetch is younger than cooldownMs). */
  coolingDown(): boolean {
    return this.snapshot !== undefined && this.now() < this.snapshot.fetchedAt + this.options.cooldownMs;
  }

  /** Fetches the JWKS now; callers arriving while a fetch is in flight share it. */
  reload(): Promise<JwksSnapshot> {
    this.pending ??= this.fetchOnce().then(
      (snap) => {
        this.snapshot = snap;
        this.pending = undefined;
        return snap;
      },
      (e: unknown) => {
        this.pending = undefined;
        throw e;
      },
    );
    return this.pending;
  }

  private async fetchOnce(): Promise<JwksSnapshot> {
    const { uri, timeoutMs } = this.options;
    const signal = AbortSignal.timeout(timeoutMs);
    let text: string;
    try {
      const res = await fetch(uri, { headers: { accept: "application/json" }, signal, redirect: "follow" });
      if (res.status !== 200) {
        await res.body?.cancel().catch(() => undefined);
        throw new JwksFetchError(`the JWKS at ${uri} answered HTTP ${res.status}`);
      }
      const length = Number(res.headers.get("content-length") ?? "0");
      if (length > MAX_JWKS_BYTES) {
        await res.body?.cancel().catch(() => undefined);
        throw new JwksFetchError(`the JWKS at ${uri} is ${length} bytes, over ${MAX_JWKS_BYTES}`);
      }
      text = await res.text();
    } catch (e) {
      if (e instanceof JwksFetchError) throw e;
      const timedOut = signal.aborted || (e as { name?: string })?.name === "TimeoutError";
      throw new JwksFetchError(timedOut ? `the JWKS at ${uri} did not answer within ${timeoutMs} ms` : `the JWKS at ${uri} is unreachable (${describe(e)})`, { cause: e });
    }
    if (text.length > MAX_JWKS_BYTES) throw new JwksFetchError(`the JWKS at ${uri} is over ${MAX_JWKS_BYTES} bytes`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new JwksFetchError(`the JWKS at ${uri} is not JSON`);
    }
    const keys = (json as { keys?: unknown } | null)?.keys;
    if (json === null || typeof json !== "object" || !Array.isArray(keys) || !keys.every((k) => k !== null && typeof k === "object" && !Array.isArray(k))) {
      throw new JwksFetchError(`the JWKS at ${uri} is not a JSON Web Key Set ({"keys": [...]})`);
    }
    return { keys: keys as PublicJwk[], fetchedAt: this.now(), memo: new Map() };
  }
}

function describe(e: unknown): string {
  const cause = (e as { cause?: { code?: unknown; message?: unknown } })?.cause;
  if (cause && typeof cause.code === "string") return cause.code;
  const msg = (e as { message?: unknown })?.message;
  return typeof msg === "string" ? msg.slice(0, 120) : "network error";
}

/** What one attempt at verifying against a snapshot found. */
export type KeyAttempt<R> = { found: R } | { found: undefined; reason: string };

/**
 * Runs `attempt` against the cached keys and, when none verifies, once more after a reload — unless the
 * last good fetch is within the cooldown (so forged deliveries cannot make us hammer the JWKS). The JWKS is
 * fetched first when there is none yet or it is older than cacheMaxAgeMs; a failed refresh keeps the old
 * keys. Returns the found value, or the reason nothing verified; throws JwksFetchError only when no key
 * verified and the fetch that might have brought the right key failed.
 */
export async function withKeys<R>(set: JwksKeySet, attempt: (snap: JwksSnapshot) => Promise<KeyAttempt<R>> | KeyAttempt<R>): Promise<KeyAttempt<R>> {
  let fetchError: unknown;
  let fetched = false;
  let snap = set.current();
  if (snap === undefined || !set.fresh()) {
    fetched = true;
    try {
      snap = await set.reload();
    } catch (e) {
      fetchError = e;
    }
  }
  let last: KeyAttempt<R> = { found: undefined, reason: "no key set" };
  if (snap !== undefined) {
    last = await attempt(snap);
    if (last.found !== undefined) return last;
  }
  const latest = set.current();
  if (latest !== undefined && latest !== snap) {
    // another delivery refreshed the keys meanwhile
    last = await attempt(latest);
    if (last.found !== undefined) return last;
  } else if (!fetched && !set.coolingDown()) {
    try {
      const reloaded = await set.reload();
      last = await attempt(reloaded);
      if (last.found !== undefined) return last;
    } catch (e) {
      fetchError = e;
    }
  }
  if (fetchError !== undefined) throw fetchError;
  return last;
}
