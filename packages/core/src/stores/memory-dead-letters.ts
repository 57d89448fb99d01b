import { numberOption } from "../lib/validate.js";
import { deadLetterLimit, type DeadLetter, type DeadLetterStore } from "./contracts.js";

export interface MemoryDeadLettersOptions {
  /** Most entries kept; the one failed longest ago is dropped past it. Default 1,000. */
  maxEntries?: number;
}

const copy = (e: DeadLetter): DeadLetter => structuredClone(e);

/** A bounded in-memory dead-letter list for one process (lost on restart: use redisDeadLetters to keep it). */
export function memoryDeadLetters(options: MemoryDeadLettersOptions = {}): DeadLetterStore & { readonly size: number } {
  const max = numberOption("memoryDeadLetters.maxEntries", options.maxEntries, 1000, 1);
  // insertion order = order of the last failure: re-set on every failure, oldest first
  const entries = new Map<string, DeadLetter>();
  return {
    record(entry, at) {
      const old = entries.get(entry.id);
      entries.delete(entry.id);
      entries.set(entry.id, { ...entry, attempts: (old?.attempts ?? 0) + 1, firstSeen: old?.firstSeen ?? at, lastSeen: at });
      if (entries.size > max) entries.delete(entries.keys().next().value!);
    },
    remove(id) {
      entries.delete(id);
    },
    // copies: editing what list() or get() gave must not change what replay() runs
    get(id) {
      const e = entries.get(id);
      return e === undefined ? undefined : copy(e);
    },
    list(options = {}) {
      const limit = deadLetterLimit(options.limit, max);
      const out: DeadLetter[] = [];
      const all = [...entries.values()];
      for (let i = all.length - 1; i >= 0 && out.length < limit; i--) out.push(copy(all[i]!));
      return out;
    },
    get size() {
      return entries.size;
    },
  };
}

