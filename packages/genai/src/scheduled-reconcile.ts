import { GenaiError } from "./errors.js";
import { reconcile, type ReconcileOptions, type ReconcileReport } from "./reconcile.js";

export interface ReconcilerOptions extends Omit<ReconcileOptions, "since"> {
  /** Time between the end of one run and the start of the next, ms. Default 5 min. */
  every?: number;
  /** Run once right away (default true), or first after `every`. */
  runAtStart?: boolean;
  /** Called after each successful run. */
  onReport?: (report: ReconcileReport) => void;
  /** Called when a run fails (the Gemini API or the store unreachable); the next run retries. Default: console.warn. */
  onError?: (error: unknown) => void;
}

/** A running reconciler. */
export interface Reconciler {
  /** Runs now (or joins the run in progress) and resolves with its report. */
  runNow(): Promise<ReconcileReport>;
  /** Stops the timer and waits for a run in progress to end. */
  stop(): Promise<void>;
  /** The last successful run's report. */
  readonly lastReport: ReconcileReport | undefined;
}

/**
 * Runs `reconcile` every `every` ms (never two runs at once in this process; instances sharing a store
 * may overlap safely). The timer does not keep the process alive. Call `stop()` on shutdown.
 */
export function startReconciler(options: ReconcilerOptions): Reconciler {
  const every = options.every ?? 5 * 60_000;
  if (typeof every !== "number" || !Number.isFinite(every) || every < 1) throw new GenaiError("configuration", "every must be a number of milliseconds ≥ 1.");
  const onError = options.onError ?? ((e: unknown) => console.warn(`gemini-webhooks reconcile failed: ${(e as Error)?.message ?? e}`));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<ReconcileReport> | undefined;
  let stopped = false;
  let lastReport: ReconcileReport | undefined;

  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(tick, ms);
    (timer as { unref?: () => void }).unref?.();
  };

  function runNow(): Promise<ReconcileReport> {
    if (running) return running;
    const run = reconcile(options).then((report) => {
      lastReport = report;
      try {
        options.onReport?.(report);
      } catch {
        /* a throwing callback must not stop the reconciler */
      }
      return report;
    });
    running = run;
    const done = () => {
      if (running === run) running = undefined;
    };
    run.then(done, done);
    return run;
  }

  function tick(): void {
    timer = undefined;
    runNow().then(
      () => schedule(every),
      (e) => {
        try {
          onError(e);
        } catch {
          /* ignore */
        }
        schedule(every);
      },
    );
  }

  schedule(options.runAtStart === false ? every : 0);
  return {
    runNow,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running?.catch(() => {});
    },
    get lastReport() {
      return lastReport;
    },
  };
}
