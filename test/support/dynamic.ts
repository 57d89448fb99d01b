import { afterAll, beforeAll } from "vitest";
import { createGeminiWebhooks, type GeminiWebhooksOptions, type HandleResult, type JwksOptions } from "@gemini-webhooks/core";
import { createTestIssuer, fixture, type TestIssuer } from "@gemini-webhooks/testing";

export const NOW_S = 1_800_000_000;
export const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/** A settable clock (epoch ms); starts at NOW_S. */
export function makeClock(s = NOW_S) {
  const c = { ms: s * 1000, now: () => c.ms, advance: (seconds: number) => void (c.ms += seconds * 1000) };
  return c;
}

/** A test issuer for the whole file, closed afterwards. */
export function useIssuer(options?: Parameters<typeof createTestIssuer>[0]): { readonly current: TestIssuer } {
  const ref = {} as { current: TestIssuer };
  beforeAll(async () => {
    ref.current = await createTestIssuer(options);
  });
  afterAll(async () => {
    await ref.current?.close();
  });
  return ref;
}

export function receiver(issuer: TestIssuer, o: { jwks?: JwksOptions; clock?: { now: () => number } } & Partial<GeminiWebhooksOptions> = {}) {
  const { jwks, clock, ...rest } = o;
  return createGeminiWebhooks({
    now: (clock ?? makeClock()).now,
    jwks: issuer.jwksOptions(jwks ?? {}),
    on: { "*": () => {} },
    logger: false, // these tests read answers; the JWKS outages they cause would fill the output with warnings
    ...rest,
  } as GeminiWebhooksOptions);
}

export const event = (id = "batches/b1") => fixture("batch.succeeded", { id });

export const post = (d: { body: string; headers: Record<string, string> }) => ({ body: d.body, headers: d.headers, method: "POST" });

export const answer = (r: HandleResult) => [r.status, "status" in r.body ? r.body.status : r.body.error.code] as const;
