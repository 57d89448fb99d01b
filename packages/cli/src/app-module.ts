import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { isGeminiWebhooks } from "@gemini-webhooks/core/adapter";
import { CliError } from "./output.js";

/**
 * The app's module (`--app MODULE`), imported from the working directory. It should export the receiver
 * (createGeminiWebhooks(...)) without starting a server: the CLI uses it and exits.
 */
export async function importApp(path: string, cwd = process.cwd()): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(resolve(cwd, path)).href)) as Record<string, unknown>;
  } catch (e) {
    throw new CliError(`could not import the app module ${path}: ${(e as Error)?.message ?? e}`);
  }
}

/** The candidates of a module, `exportName` alone when given; else the default export, `webhooks`, then every export. */
function candidates(mod: Record<string, unknown>, exportName: string | undefined): unknown[] {
  return exportName !== undefined ? [mod[exportName]] : [mod.default, mod.webhooks, ...Object.values(mod)];
}

/** The receiver (createGeminiWebhooks) the module exports. */
export function receiverOf<T>(mod: Record<string, unknown>, exportName: string | undefined): T {
  const found = candidates(mod, exportName).find((c) => isGeminiWebhooks(c));
  if (found) return found as T;
  throw new CliError(
    exportName !== undefined
      ? `the app module's export "${exportName}" is not a receiver (createGeminiWebhooks(...))`
      : "the app module exports no receiver (createGeminiWebhooks(...)): export one, or name it with --export",
  );
}

/** What the app handles: its receiver, or options / an object with an `on` handler map. */
export function appHandlersOf(mod: Record<string, unknown>, exportName?: string): object {
  const list = candidates(mod, exportName);
  const receiver = list.find((c) => isGeminiWebhooks(c));
  if (receiver) return receiver as object;
  const options = list.find((c) => c !== null && typeof c === "object" && "on" in c && typeof (c as { on: unknown }).on === "object");
  if (options) return options as object;
  throw new CliError(
    exportName !== undefined
      ? `the app module's export "${exportName}" is not a receiver (createGeminiWebhooks) or options with "on"`
      : "the app module exports no receiver (createGeminiWebhooks(...)) or options with an \"on\" handler map: export one, or name it with --export",
  );
}
