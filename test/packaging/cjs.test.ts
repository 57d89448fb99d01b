import { createRequire } from "node:module";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { signStatic } from "@gemini-webhooks/testing";

// The built packages load from CommonJS (NestJS/Jest apps) and from ESM, and behave the same.
const require = createRequire(import.meta.url);
const dist = (p: string) => new URL(`../../packages/${p}/dist/`, import.meta.url).pathname;
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

describe("built packages (run `pnpm build` first; `pnpm test` does)", () => {
  it("dist exists", () => {
    expect(existsSync(dist("core") + "index.cjs")).toBe(true);
    expect(existsSync(dist("core") + "index.js")).toBe(true);
  });
  it("core and express load with require() and verify", async () => {
    const core = require(dist("core") + "index.cjs");
    const express = require(dist("express") + "index.cjs");
    expect(typeof express.geminiWebhooks).toBe("function");
    const wh = core.createGeminiWebhooks({ secret: SECRET, on: { "*": () => {} } });
    const d = signStatic({ event: { type: "batch.expired", data: { id: "b" } }, secret: SECRET });
    expect((await wh.handle({ ...d, method: "POST" })).body).toEqual({ status: "received" });
  });
  it("core's CommonJS entries share one set of classes (a 413 from ./adapter is a 413 for the main entry)", () => {
    const core = require(dist("core") + "index.cjs");
    const adapter = require(dist("core") + "adapter.cjs");
    const node = require(dist("core") + "node.cjs");
    const wh = core.createGeminiWebhooks({ secret: SECRET, logger: false });
    expect(adapter.bodyTooLarge(10)).toBeInstanceOf(core.WebhookVerificationError);
    expect(adapter.rejectWith(wh, adapter.bodyTooLarge(10)).status).toBe(413);
    expect(adapter.rejectWith(wh, adapter.bodyTimeout(10)).status).toBe(408);
    expect(typeof node.readNodeBody).toBe("function");
  });
  it("core loads as ESM from dist", async () => {
    const core = await import(dist("core") + "index.js");
    expect(core.ERROR_CODES).toContain("keys_unavailable");
  });
  it("core imports no node:* module and no framework (web-standard runtimes)", () => {
    // every file of dist: the entries and the chunks they share
    for (const f of readdirSync(dist("core")).filter((f) => /\.c?js$/.test(f))) {
      const code = readFileSync(dist("core") + f, "utf8");
      expect(code).not.toMatch(/from\s*["']node:|require\(["']node:|from\s*["'](crypto|http|buffer|express|koa|next)["']/);
    }
  });
});
