import type { WebhooksClient } from "@gemini-webhooks/genai";
import { CliError, type CliIO } from "./output.js";

/** `@gemini-webhooks/genai`, an optional peer: loaded only by the commands that use it. */
export async function loadGenai(command: string): Promise<typeof import("@gemini-webhooks/genai")> {
  try {
    return await import("@gemini-webhooks/genai");
  } catch {
    throw new CliError(`${command} needs @gemini-webhooks/genai and @google/genai: npm install -D @gemini-webhooks/genai @google/genai`, 1);
  }
}

/**
 * A `GoogleGenAI` client from the environment, as the user's own code makes one: GEMINI_API_KEY (or
 * GOOGLE_API_KEY), and GOOGLE_GEMINI_BASE_URL for another endpoint (a proxy, a local test server).
 * `@google/genai` is an optional peer: loaded here, only by the commands that talk to the Gemini API.
 */
export async function clientFromEnv<T = WebhooksClient>(command: string, env: CliIO["env"]): Promise<T> {
  const apiKey = env.GEMINI_API_KEY || env.GOOGLE_API_KEY;
  if (!apiKey) throw new CliError(`${command} needs GEMINI_API_KEY (an API key of the project whose webhooks to use)`);
  let sdk: { GoogleGenAI: new (options: { apiKey: string; httpOptions?: { baseUrl: string } }) => unknown };
  try {
    sdk = await import("@google/genai");
  } catch {
    throw new CliError(`${command} needs @google/genai: npm install -D @google/genai`, 1);
  }
  const baseUrl = env.GOOGLE_GEMINI_BASE_URL;
  return new sdk.GoogleGenAI({ apiKey, ...(baseUrl ? { httpOptions: { baseUrl } } : {}) }) as T;
}
