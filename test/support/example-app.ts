// What every runnable example (examples/<framework>/app.mjs) must do at its /gemini-callback route, asserted
// once: each fixture type received and exposed as x-gemini-event, a repeat answered "duplicate", a tampered
// body refused. Returns the first delivery, for further checks of the caller's own.
import { expect } from "vitest";
import { allFixtures } from "@gemini-webhooks/testing";
import { signed } from "../support/receiver.js";
import { deliver, outcome } from "./requests.js";

export async function expectExampleReceives(base: string, seen: readonly string[]): Promise<{ body: string; headers: Record<string, string> }> {
  for (const [i, ev] of allFixtures().entries()) {
    const r = await deliver(`${base}/gemini-callback`, signed(ev, { id: `msg_${i}` }));
    expect([r.status, r.body, r.headers["x-gemini-event"]]).toEqual([200, { status: "received" }, ev.type]);
  }
  expect(seen).toHaveLength(allFixtures().length);
  const d = signed(allFixtures()[0], { id: "msg_0" });
  expect(outcome(await deliver(`${base}/gemini-callback`, d))).toBe("duplicate");
  const forged = await deliver(`${base}/gemini-callback`, { ...d, body: d.body.replace("}", ',"x":1}') });
  expect([forged.status, outcome(forged)]).toEqual([400, "signature_mismatch"]);
  return d;
}
