import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import pino from "pino";
import { fixture } from "@gemini-webhooks/testing";
import { receiver, signed } from "../support/receiver.js";

// pino plugs in as `logger` as it is (the README's snippet): the failure line carries the type, id and stack.
describe("logger: pino", () => {
  it("a failing handler is one pino error record; a forged delivery writes nothing at pino's default level", async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) });
    const logger = pino({ level: "info" }, sink);
    const wh = receiver({ logger, on: { "batch.failed": () => Promise.reject(new Error("db down")) } });
    await wh.handle({ ...signed(fixture("batch.failed"), { id: "msg_pino" }), method: "POST" });
    await wh.handle({ ...signed(undefined, { secret: "whsec_" + Buffer.alloc(24, 1).toString("base64") }), method: "POST" });
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe(50);
    expect(lines[0]!.msg).toContain("batch.failed");
    expect(lines[0]!.msg).toContain("msg_pino");
    expect(lines[0]!.msg).toContain("Error: db down");
  });
});
