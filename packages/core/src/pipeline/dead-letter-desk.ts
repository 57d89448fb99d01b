import { GeminiWebhooksConfigError } from "../errors.js";
import type { AnyGeminiEvent, UserMetadata } from "../events.js";
import type { HandleResult, ProcessContext } from "../receiver/types.js";
import type { DeadLetter, DeadLetterStore } from "../stores/contracts.js";

/** A receiver's view of its dead letters. */
export interface DeadLetterDesk<M = UserMetadata> {
  /** Newest failure first. */
  list(options?: { limit?: number }): Promise<DeadLetter[]>;
  get(id: string): Promise<DeadLetter | undefined>;
  /**
   * Runs the handlers for a dead letter again, through the same claim rules: a delivery that succeeded
   * meanwhile answers `duplicate` (and its entry goes); success removes the entry; failure keeps it
   * (attempts + 1). Undefined when there is no such entry.
   */
  replay(id: string): Promise<HandleResult<M> | undefined>;
  delete(id: string): Promise<void>;
}

type Process<M> = (event: AnyGeminiEvent<M>, ctx: ProcessContext, key?: string) => Promise<HandleResult<M>>;

export function createDeadLetterDesk<M>(store: DeadLetterStore | undefined, process: Process<M>): DeadLetterDesk<M> {
  const need = (): DeadLetterStore => {
    if (!store) throw new GeminiWebhooksConfigError("deadLetters", "Dead letters are off (deadLetters: false); give a store (memoryDeadLetters() or redisDeadLetters(client)) to keep failed deliveries.");
    return store;
  };
  return {
    list: async (options) => (store ? store.list(options) : []),
    get: async (id) => (store ? store.get(id) : undefined),
    async replay(id) {
      const entry = await need().get(id);
      if (!entry) return undefined;
      const result = await process(
        entry.event as AnyGeminiEvent<M>,
        { webhookId: entry.ctx.webhookId, scheme: entry.ctx.scheme, timestamp: new Date(entry.ctx.timestamp) },
        entry.id,
      );
      if ((result.body as { status?: string }).status === "duplicate") await need().remove(id);
      return result;
    },
    async delete(id) {
      await need().remove(id);
    },
  };
}
