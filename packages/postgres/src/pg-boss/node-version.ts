import { GeminiWebhooksConfigError } from "@gemini-webhooks/core";

/** pg-boss 12 needs Node >= 22.12: say so at construction, in words, rather than fail somewhere inside pg-boss. */
export function checkNodeVersion(fn: string, version: string = process.versions.node): void {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  if (major > 22 || (major === 22 && minor >= 12)) return;
  throw new GeminiWebhooksConfigError(
    fn,
    `${fn}: @gemini-webhooks/postgres/pg-boss runs on pg-boss 12, which needs Node >= 22.12; this is Node ${version}. Run the receiver and worker on Node 22 or 24 (the store, postgresStore, works on Node >= 20).`,
  );
}
