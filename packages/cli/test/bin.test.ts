import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, ROOT } from "../../../test/support/sender.js";

// The built bin installed the way a user installs it with no optional peer: a copy of the package whose
// node_modules holds only its dependencies (core, testing). @google/genai, @gemini-webhooks/genai,
// @gemini-webhooks/redis, ioredis, redis, @gemini-webhooks/postgres and pg cannot be resolved from it. Every
// --help still works.
const COMMANDS = ["trigger", "listen", "sign", "secret", "dead-letters", "replay", "postgres", "doctor", "webhooks"];

describe("the gemini-webhooks bin without its optional dependencies", () => {
  let dir: string;
  let bin: string;
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [bin, ...args], { cwd: dir, env: { PATH: process.env.PATH!, ...env }, encoding: "utf8", timeout: 20_000 });

  beforeAll(() => {
    ensureBuilt("core");
    ensureBuilt("testing");
    ensureBuilt("cli", "bin.cjs");
    dir = mkdtempSync(join(tmpdir(), "gemini-cli-bare-"));
    const pkg = join(dir, "node_modules", "@gemini-webhooks", "cli");
    mkdirSync(pkg, { recursive: true });
    for (const f of ["bin", "dist", "package.json"]) cpSync(join(ROOT, "packages/cli", f), join(pkg, f), { recursive: true });
    for (const dep of ["core", "testing"]) symlinkSync(join(ROOT, "packages", dep), join(dir, "node_modules", "@gemini-webhooks", dep), "dir");
    writeFileSync(join(dir, "package.json"), "{}\n");
    bin = join(pkg, "bin", "gemini-webhooks.cjs");
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the optional peers really are missing there", () => {
    for (const name of ["@google/genai", "@gemini-webhooks/genai", "@gemini-webhooks/redis", "ioredis", "redis", "@gemini-webhooks/postgres", "pg"]) {
      const r = spawnSync(process.execPath, ["-e", `require.resolve(${JSON.stringify(name)})`], { cwd: join(dir, "node_modules", "@gemini-webhooks", "cli"), env: { PATH: process.env.PATH! }, encoding: "utf8" });
      expect([name, r.status]).toEqual([name, 1]);
    }
    expect(execFileSync(process.execPath, [bin, "--version"], { cwd: dir, encoding: "utf8" }).trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each(COMMANDS)("%s --help exits 0 with its usage", (command) => {
    const r = run([command, "--help"]);
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toMatch(new RegExp(`^Usage: gemini-webhooks ${command}\\b`));
    const h = run(["help", command]);
    expect([h.status, h.stdout]).toEqual([0, r.stdout]);
  });

  it("--app loads an ES module or a CommonJS one by path, and exits although the module holds open handles", () => {
    const receiver = 'createGeminiWebhooks({ secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", logger: false })';
    writeFileSync(join(dir, "app.mjs"), `import { createGeminiWebhooks } from "@gemini-webhooks/core";\nsetInterval(() => {}, 1000);\nexport const webhooks = ${receiver};\n`);
    writeFileSync(join(dir, "app.cjs"), `const { createGeminiWebhooks } = require("@gemini-webhooks/core");\nsetInterval(() => {}, 1000);\nexports.webhooks = ${receiver};\n`);
    for (const app of ["./app.mjs", "./app.cjs"]) {
      const r = run(["dead-letters", "list", "--app", app]);
      expect([app, r.status, r.stdout, r.stderr]).toEqual([app, 0, "no dead letters\n", ""]);
    }
  });

  it("a command that needs a missing peer says what to install, exit 1", () => {
    const doctor = run(["doctor", "--url", "https://my.app/gemini-callback"], { GEMINI_API_KEY: "k" });
    expect(doctor.status).toBe(1);
    expect(doctor.stderr).toMatch(/doctor needs @gemini-webhooks\/genai and @google\/genai: npm install/);
    const webhooks = run(["webhooks", "list"], { GEMINI_API_KEY: "k" });
    expect(webhooks.status).toBe(1);
    expect(webhooks.stderr).toMatch(/needs @google\/genai: npm install/);
    const dl = run(["dead-letters", "list", "--redis-url", "redis://127.0.0.1:1"]);
    expect(dl.status).toBe(1);
    expect(dl.stderr).toMatch(/dead-letters needs @gemini-webhooks\/redis/);
    const migrate = run(["postgres", "migrate", "--database-url", "postgres://app:pw@127.0.0.1:1/app"]);
    expect([migrate.status, migrate.stderr]).toEqual([1, "error: postgres migrate needs @gemini-webhooks/postgres and pg: npm install --save-dev @gemini-webhooks/postgres pg\n"]);
    const pgDl = run(["dead-letters", "list"], { DATABASE_URL: "postgres://app:pw@127.0.0.1:1/app" });
    expect([pgDl.status, pgDl.stderr]).toEqual([1, "error: dead-letters needs @gemini-webhooks/postgres and pg: npm install --save-dev @gemini-webhooks/postgres pg\n"]);
  });
});
