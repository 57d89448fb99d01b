import type { WebhookLogger } from "@gemini-webhooks/core";

export interface LogLine {
  level: "debug" | "info" | "warn" | "error";
  message: string;
}

/** A logger that records every line, to assert on what a receiver logged (and to keep test output quiet). */
export function recordingLogger(): WebhookLogger & { lines: LogLine[]; at(level: LogLine["level"]): string[]; until(match: (l: LogLine) => boolean): Promise<LogLine> } {
  const lines: LogLine[] = [];
  const waiters: Array<{ match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];
  const log = (level: LogLine["level"]) => (message: string) => {
    const line = { level, message };
    lines.push(line);
    for (const w of waiters.splice(0)) {
      if (w.match(line)) w.resolve(line);
      else waiters.push(w);
    }
  };
  return {
    lines,
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    at: (level) => lines.filter((l) => l.level === level).map((l) => l.message),
    /** Resolves with the first line (already logged or to come) that matches. */
    until(match) {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}

