import { JwksFetchError, WebhookVerificationError } from "../errors.js";
import type { ResolvedJwksOptions } from "./jwks-options.js";

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

/** A JWKS larger than this is not a key set: the read is abandoned at this many bytes. */
export const MAX_JWKS_BYTES = 512 * 1024;

/**
 * The key cache of one receiver: the last good JWKS, fetched with the web `fetch` (any runtime), a timeout
 * that covers the whole response (headers and body), at most one fetch in flight (concurrent callers share
 * it), a cooldown that every attempt starts (failed or not, so an outage cannot be amplified), and
 * stale-while-error (a failed refresh keeps the old keys). Redirects are not followed; the body is read as
 * a stream and abandoned at MAX_JWKS_BYTES.
 */
export class JwksKeySet {
  private snapshot: JwksSnapshot | undefined;
  private pending: Promise<JwksSnapshot> | undefined;
  private lastAttemptAt: number | undefined;
  private lastError: unknown;

  constructor(
    private readonly options: Pick<ResolvedJwksOptions, "uri" | "shownUri" | "cooldownMs" | "cacheMaxAgeMs" | "timeoutMs">,
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

  /** Whether another fetch must wait: the last attempt, successful or not, is younger than cooldownMs. */
  coolingDown(): boolean {
    return this.lastAttemptAt !== undefined && this.now() < this.lastAttemptAt + this.options.cooldownMs;
  }

  /** The fetch in flight, if any. */
  inFlight(): Promise<JwksSnapshot> | undefined {
    return this.pending;
  }

  /** Whether the last fetch attempt failed (the keys may be out of date: a rotation cannot be seen). */
  lastFailed(): boolean {
    return this.lastError !== undefined;
  }

  /** Why the last fetch failed (when it did): the answer while cooling down with no usable key. */
  failure(): JwksFetchError {
    return this.lastError instanceof JwksFetchError
      ? this.lastError
      : new JwksFetchError(`the JWKS at ${this.options.shownUri} could not be fetched`);
  }

  /** Fetches the JWKS now; callers arriving while a fetch is in flight share it. */
  reload(): Promise<JwksSnapshot> {
    if (this.pending) return this.pending;
    this.lastAttemptAt = this.now();
    this.pending = this.fetchOnce().then(
      (snap) => {
        this.snapshot = snap;
        this.pending = undefined;
        this.lastError = undefined;
        return snap;
      },
      (e: unknown) => {
        this.pending = undefined;
        this.lastError = e;
        throw e;
      },
    );
    return this.pending;
  }

  private async fetchOnce(): Promise<JwksSnapshot> {
    const { uri, shownUri, timeoutMs } = this.options;
    const signal = AbortSignal.timeout(timeoutMs);
    let text: string;
    try {
      const res = await fetch(uri, { headers: { accept: "application/json" }, signal, redirect: "manual" });
      if ((res.status >= 300 && res.status < 400) || res.type === "opaqueredirect") {
        await res.body?.cancel().catch(() => undefined);
        throw new JwksFetchError(`the JWKS at ${shownUri} answered HTTP ${res.status || "3xx"} (a redirect); redirects are not followed, so keys come only from jwks.uri: set it to the final URL`);
      }
      if (res.status !== 200) {
        await res.body?.cancel().catch(() => undefined);
        throw new JwksFetchError(`the JWKS at ${shownUri} answered HTTP ${res.status}`);
      }
      text = await readCapped(res, shownUri);
    } catch (e) {
      if (e instanceof JwksFetchError) throw e;
      const timedOut = signal.aborted || (e as { name?: string })?.name === "TimeoutError";
      throw new JwksFetchError(timedOut ? `the JWKS at ${shownUri} did not answer within ${timeoutMs} ms` : `the JWKS at ${shownUri} is unreachable (${describe(e)})`, { cause: e });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new JwksFetchError(`the JWKS at ${shownUri} is not JSON`);
    }
    const keys = (json as { keys?: unknown } | null)?.keys;
    if (json === null || typeof json !== "object" || !Array.isArray(keys) || !keys.every((k) => k !== null && typeof k === "object" && !Array.isArray(k))) {
      throw new JwksFetchError(`the JWKS at ${shownUri} is not a JSON Web Key Set ({"keys": [...]})`);
    }
    return { keys: keys as PublicJwk[], fetchedAt: this.now(), memo: new Map() };
  }
}

/** The response body as text, read as a stream and abandoned as soon as it passes MAX_JWKS_BYTES. */
async function readCapped(res: Response, shownUri: string): Promise<string> {
  const tooBig = () => new JwksFetchError(`the JWKS at ${shownUri} is over ${MAX_JWKS_BYTES} bytes`);
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > MAX_JWKS_BYTES) {
    await res.body?.cancel().catch(() => undefined);
    throw tooBig();
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let total = 0;
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_JWKS_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw tooBig();
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
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
 * Runs `attempt` against the cached keys and, when none verifies, once more after a reload, unless a fetch
 * was attempted within the cooldown (so neither forged deliveries nor an outage can make us hammer the
 * JWKS). The JWKS is fetched first when there is none yet or it is older than cacheMaxAgeMs (a failed
 * refresh keeps the old keys). With no usable key while cooling down after a failure, it fails at once.
 * Returns the found value, or the reason nothing verified; throws JwksFetchError only when no key verified
 * and the fetch that might have brought the right key failed.
 */
export async function withKeys<R>(set: JwksKeySet, attempt: (snap: JwksSnapshot) => Promise<KeyAttempt<R>> | KeyAttempt<R>): Promise<KeyAttempt<R>> {
  let fetchError: unknown;
  let fetched = false;
  let snap = set.current();
  if (snap === undefined || !set.fresh()) {
    const inFlight = set.inFlight();
    if (inFlight || !set.coolingDown()) {
      fetched = true;
      try {
        snap = await (inFlight ?? set.reload());
      } catch (e) {
        fetchError = e;
      }
    } else if (snap === undefined) {
      throw set.failure();
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
  } else if (!fetched && (set.inFlight() || !set.coolingDown())) {
    try {
      const reloaded = await (set.inFlight() ?? set.reload());
      last = await attempt(reloaded);
      if (last.found !== undefined) return last;
    } catch (e) {
      fetchError = e;
    }
  }
  if (fetchError !== undefined) throw fetchError;
  // Nothing verified and the keys could not be refreshed (the last attempt failed, we are inside its
  // cooldown): the right key may be one we cannot see yet, so this is not the sender's fault.
  if (set.lastFailed()) throw set.failure();
  return last;
}

/** 503 `keys_unavailable`: the JWKS could not be fetched, so the delivery could not be checked; the sender retries. */
export function keysUnavailable(scheme: "v1a" | "jwt", cause: unknown): WebhookVerificationError {
  if (cause instanceof WebhookVerificationError) return cause;
  const why = cause instanceof JwksFetchError ? cause.message : "the JWKS could not be fetched";
  return new WebhookVerificationError(
    "keys_unavailable",
    `Could not verify the ${scheme} delivery: ${why}. No cached key verified it; Gemini will retry, and the next delivery fetches the keys again.`,
    { scheme, cause },
  );
}
