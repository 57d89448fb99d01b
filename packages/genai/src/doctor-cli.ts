import { parseArgs } from "node:util";
import { isGeminiWebhooks } from "@gemini-webhooks/core/adapter";
import { doctor, formatDoctorReport, type AppHandlers, type WebhooksClient } from "./doctor.js";
import { GenaiError } from "./errors.js";

/** Where the CLI writes (the `gemini-webhooks` CLI's io). */
export interface DoctorIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  env: Record<string, string | undefined>;
  cwd?: string;
}

/** A GoogleGenAI client from the environment (GEMINI_API_KEY; GOOGLE_GEMINI_BASE_URL is honoured by the SDK). */
async function clientFromEnv(env: Record<string, string | undefined>): Promise<WebhooksClient> {
  const apiKey = env.GEMINI_API_KEY || env.GOOGLE_API_KEY;
  if (!apiKey) throw new UsageError("doctor needs GEMINI_API_KEY (an API key of the project whose webhooks to check).");
  let sdk: { GoogleGenAI: new (options: { apiKey: string; httpOptions?: { baseUrl: string } }) => unknown };
  try {
    sdk = await import("@google/genai");
  } catch {
    throw new UsageError("doctor needs @google/genai: npm install @google/genai");
  }
  const baseUrl = env.GOOGLE_GEMINI_BASE_URL;
  return new sdk.GoogleGenAI({ apiKey, ...(baseUrl ? { httpOptions: { baseUrl } } : {}) }) as WebhooksClient;
}

class UsageError extends Error {}

/** Finds what the app handles in its module: a receiver, receiver options, or an `on` map (default export first). */
export function appHandlersOf(mod: Record<string, unknown>, exportName?: string): AppHandlers {
  const candidates = exportName !== undefined ? [mod[exportName]] : [mod.default, mod.webhooks, ...Object.values(mod)];
  for (const c of candidates) {
    if (isGeminiWebhooks(c)) return c as AppHandlers;
  }
  for (const c of candidates) {
    if (c !== null && typeof c === "object" && "on" in c && typeof (c as { on: unknown }).on === "object") return c as AppHandlers;
  }
  throw new UsageError(
    exportName !== undefined
      ? `the app module's export "${exportName}" is not a receiver (createGeminiWebhooks) or options with "on"`
      : "the app module exports no receiver (createGeminiWebhooks(...)) or options with an \"on\" handler map: export one, or name it with --export",
  );
}

/**
 * `gemini-webhooks doctor --url URL [--app MODULE] [--export NAME] [--json]`: exit 0 when nothing needs
 * fixing, 1 when something does (or the API could not be asked), 2 on bad usage.
 */
export async function doctorCli(argv: string[], io: DoctorIO, showHelp: () => number): Promise<number> {
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        options: {
          url: { type: "string" },
          app: { type: "string" },
          export: { type: "string" },
          json: { type: "boolean" },
          help: { type: "boolean", short: "h" },
        },
        allowPositionals: false,
        strict: true,
      });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const v = parsed.values;
    if (v.help) return showHelp();
    const url = v.url ?? io.env.GEMINI_WEBHOOK_URL;
    if (!url) throw new UsageError("doctor needs --url (the URL Gemini should deliver to, e.g. https://my.app/gemini-callback) or GEMINI_WEBHOOK_URL");
    const ai = await clientFromEnv(io.env);
    let app: AppHandlers | undefined;
    if (v.app !== undefined) {
      const { pathToFileURL } = await import("node:url");
      const { resolve } = await import("node:path");
      let mod: Record<string, unknown>;
      try {
        mod = (await import(pathToFileURL(resolve(io.cwd ?? process.cwd(), v.app)).href)) as Record<string, unknown>;
      } catch (e) {
        throw new UsageError(`could not import the app module ${v.app}: ${(e as Error)?.message ?? e}`);
      }
      app = appHandlersOf(mod, v.export);
    }
    const secret = io.env.GEMINI_WEBHOOK_SECRET?.split(/[\s,]+/).filter(Boolean);
    const report = await doctor({ ai, url, ...(secret ? { secret } : {}), ...(app ? { app } : {}) });
    io.stdout.write(v.json ? `${JSON.stringify({ ok: report.ok, url: report.url, findings: report.findings, webhooks: report.webhooks }, null, 2)}\n` : formatDoctorReport(report));
    return report.ok ? 0 : 1;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`error: ${e.message}\n`);
      return 2;
    }
    io.stderr.write(`error: ${e instanceof GenaiError ? e.message : ((e as Error)?.message ?? String(e))}\n`);
    return 1;
  }
}
