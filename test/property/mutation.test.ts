import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createGeminiWebhooks } from "@gemini-webhooks/core";
import { allFixtures, signStatic } from "@gemini-webhooks/testing";
import { clock, NOW_S, SECRET } from "../support/receiver.js";

// No mutation of a valid request's headers or body is ever accepted, and no handler ever runs for one.
const fixtures = allFixtures();
const HEADERS = ["webhook-id", "webhook-timestamp", "webhook-signature"] as const;

type Mutation =
  | { kind: "bodyByte"; at: number; xor: number }
  | { kind: "bodyInsert"; at: number; ch: string }
  | { kind: "bodyDelete"; at: number }
  | { kind: "headerChar"; header: (typeof HEADERS)[number]; at: number; ch: string }
  | { kind: "headerDrop"; header: (typeof HEADERS)[number] }
  | { kind: "headerAppend"; header: (typeof HEADERS)[number]; suffix: string }
  | { kind: "swapSignature"; other: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("bodyByte" as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant("bodyInsert" as const), at: fc.nat(), ch: fc.string({ minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constant("bodyDelete" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("headerChar" as const), header: fc.constantFrom(...HEADERS), at: fc.nat(), ch: fc.string({ minLength: 1, maxLength: 2 }) }),
  fc.record({ kind: fc.constant("headerDrop" as const), header: fc.constantFrom(...HEADERS) }),
  fc.record({ kind: fc.constant("headerAppend" as const), header: fc.constantFrom(...HEADERS), suffix: fc.string({ minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant("swapSignature" as const), other: fc.nat({ max: fixtures.length - 1 }) }),
);

function apply(m: Mutation, body: Buffer, headers: Record<string, string>, fixture: number): { body: Buffer; headers: Record<string, string> } | undefined {
  const h = { ...headers };
  let b = Buffer.from(body);
  switch (m.kind) {
    case "bodyByte": {
      const i = m.at % b.length;
      b[i] = b[i]! ^ m.xor;
      break;
    }
    case "bodyInsert": {
      const i = m.at % (b.length + 1);
      b = Buffer.concat([b.subarray(0, i), Buffer.from(m.ch), b.subarray(i)]);
      break;
    }
    case "bodyDelete": {
      const i = m.at % b.length;
      b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
      break;
    }
    case "headerChar": {
      const v = h[m.header]!;
      const i = m.at % v.length;
      h[m.header] = v.slice(0, i) + m.ch + v.slice(i + 1);
      if (h[m.header] === v) return undefined;
      break;
    }
    case "headerDrop":
      delete h[m.header];
      break;
    case "headerAppend":
      h[m.header] = h[m.header] + m.suffix;
      // Whitespace after the signature starts a new entry (or none): the spec accepts a header with one valid
      // pair among others, so adding an entry is not a mutation of the signed content.
      if (m.header === "webhook-signature" && /^\s/.test(m.suffix)) return undefined;
      break;
    case "swapSignature": {
      if (m.other === fixture) return undefined;
      const other = signStatic({ event: fixtures[m.other], secret: SECRET, id: h["webhook-id"], timestamp: NOW_S });
      h["webhook-signature"] = other.headers["webhook-signature"];
      break;
    }
  }
  return { body: b, headers: h };
}

describe("property: mutated deliveries are never accepted", () => {
  it("no single mutation of a valid request passes, and no handler runs", async () => {
    let handled = 0;
    const wh = createGeminiWebhooks({ secret: SECRET, now: clock(), idempotency: false, on: { "*": () => void handled++ } });
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: fixtures.length - 1 }), mutation, async (fi, m) => {
        const d = signStatic({ event: fixtures[fi], secret: SECRET, id: "msg_prop", timestamp: NOW_S });
        const valid = await wh.handle({ body: Buffer.from(d.body), headers: d.headers, method: "POST" });
        expect(valid.status).toBe(200);
        const before = handled;
        const mutated = apply(m, Buffer.from(d.body), d.headers, fi);
        fc.pre(mutated !== undefined && !(mutated.body.equals(Buffer.from(d.body)) && JSON.stringify(mutated.headers) === JSON.stringify(d.headers)));
        const r = await wh.handle({ body: mutated!.body, headers: mutated!.headers, method: "POST" });
        expect(r.status).not.toBe(200);
        expect(r.status).toBeGreaterThanOrEqual(400);
        expect(r.status).toBeLessThan(500);
        expect(handled).toBe(before);
      }),
      { numRuns: 1500 },
    );
  });

  it("random garbage headers and bodies always get a 4xx (or 500 configuration) with a known code, never a throw", async () => {
    const wh = createGeminiWebhooks({ secret: SECRET, now: clock(), idempotency: false, on: { "*": () => { throw new Error("must not run"); } } });
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.constantFrom("webhook-id", "webhook-timestamp", "webhook-signature", "Webhook-Signature", "x-other"), fc.oneof(fc.string(), fc.constant(String(NOW_S)), fc.constant("v1,"), fc.constant("v1a,abc"))),
        fc.oneof(fc.string(), fc.uint8Array()),
        async (headers, body) => {
          const r = await wh.handle({ body, headers, method: "POST" });
          // a v1a/JWT-shaped signature reaching a receiver without jwks is the operator's problem: 500 configuration
          if (r.error?.code === "configuration") expect(r.status).toBe(500);
          else expect([r.status >= 400, r.status < 500]).toEqual([true, true]);
          expect(r.error?.code).toMatch(/^(missing_header|invalid_header|unsupported_signature|timestamp_too_old|timestamp_too_new|signature_mismatch|configuration)$/);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
