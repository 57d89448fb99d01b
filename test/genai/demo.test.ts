// examples/genai/demo.mjs, run as a user runs it: a missed delivery recovered by reconciliation.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { expect, it } from "vitest";
import { ensureBuilt, ROOT } from "../support/sender.js";

it("the genai demo recovers the missed deliveries and runs every job outcome once", { timeout: 180_000 }, async () => {
  for (const pkg of ["core", "express", "testing", "genai"]) ensureBuilt(pkg);
  const child = spawn(process.execPath, [join(ROOT, "examples/genai/demo.mjs")], { env: { PATH: process.env.PATH, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c));
  child.stderr.on("data", (c: Buffer) => (stderr += c));
  const [code] = (await once(child, "close")) as [number];
  expect(stderr).toBe("");
  expect(stdout).toMatch(/reconcile: job B \(missed\)\s+received\s+received\s+ok/);
  expect(stdout).toMatch(/late webhook retry for B\s+200 duplicate\s+200 duplicate\s+ok/);
  expect(stdout).not.toContain("WRONG");
  expect(code).toBe(0);
});
