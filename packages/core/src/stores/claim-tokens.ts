/**
 * The claim tokens a shared store (Redis, Postgres) holds in this process per key, oldest first, until the
 * claim is completed or released. Usually one; more only when a run outlived its lease and a retry re-claimed
 * the key here. Complete and release take the oldest: only the newest can still be the key's token in the
 * store (a claim succeeds only on an absent or expired key), and it is taken last, when every run has
 * finished, so a release never frees a claim whose run is still going. Renewal extends the newest.
 */
export class ClaimTokens {
  private readonly held = new Map<string, string[]>();

  /** A claim of `key` with `token` succeeded. */
  add(key: string, token: string): void {
    const list = this.held.get(key);
    if (list) list.push(token);
    else this.held.set(key, [token]);
  }

  /** The oldest token of `key`, no longer held (undefined when none is). */
  take(key: string): string | undefined {
    const list = this.held.get(key);
    const token = list?.shift();
    if (list && list.length === 0) this.held.delete(key);
    return token;
  }

  /** The newest token of `key`, still held. */
  newest(key: string): string | undefined {
    const list = this.held.get(key);
    return list?.[list.length - 1];
  }
}
