import type { Reporter } from "../logging.js";
import type { IdempotencyStore } from "../stores/contracts.js";

/**
 * Keeps the in-progress claims of this process alive while their handlers run: one shared timer renews
 * every live claim each leaseMs / 3, so a slow handler in a live process never lets a copy start (copies
 * get 409), while a crashed process stops renewing and frees its ids within leaseMs.
 */
export class LeaseKeeper {
  private readonly live = new Set<string>();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly store: IdempotencyStore | undefined,
    private readonly leaseMs: number,
    private readonly reporter: Reporter,
  ) {}

  hold(key: string): void {
    if (!this.store?.renew) return;
    this.live.add(key);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), Math.max(1, Math.floor(this.leaseMs / 3)));
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  drop(key: string): void {
    this.live.delete(key);
  }

  private tick(): void {
    if (this.live.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    for (const key of this.live) {
      try {
        void Promise.resolve(this.store!.renew!(key)).catch((e: unknown) => this.reporter.report(e, { stage: "store", webhookId: key }));
      } catch (e) {
        this.reporter.report(e, { stage: "store", webhookId: key });
      }
    }
  }
}
