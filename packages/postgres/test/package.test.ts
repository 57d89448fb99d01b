// The built package loads from CommonJS (NestJS/Jest apps) and ESM; neither entry loads pg-boss by itself.
import { createRequire } from "node:module";
import { expect, it } from "vitest";

const require = createRequire(import.meta.url);
const dist = new URL("../dist/", import.meta.url).pathname;

it("both entries load with require() and import(), with the same exports, and name a bad schema as a config error", async () => {
  const cjs = require(`${dist}index.cjs`);
  const esm = await import(`${dist}index.js`);
  for (const m of [cjs, esm]) {
    expect(typeof m.postgresStore).toBe("function");
    expect(typeof m.postgresDeadLetters).toBe("function");
    expect(typeof m.migrate).toBe("function");
  }
  const core = require(require.resolve("@gemini-webhooks/core", { paths: [dist] }));
  const pool = { connect() {}, query() {}, on() {} };
  expect(() => cjs.postgresStore({ pool, schema: "a-b" })).toThrow(core.GeminiWebhooksConfigError);
  const boss = require(`${dist}pg-boss.cjs`);
  expect(Object.keys(boss)).toEqual(expect.arrayContaining(["pgBossQueue", "createGeminiWorker", "jobIdFor"]));
  expect(Object.keys(require.cache).some((k) => k.includes("/pg-boss/dist/"))).toBe(false);
});
