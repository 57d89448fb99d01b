import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe } from "vitest";
import { generateSecret } from "@gemini-webhooks/testing";
import { ensureBuilt, root } from "../support/build.js";
import { childEnv, receivesDeliveries, startApp, type AppServer } from "../support/framework-server.js";

// examples/elysia (server.ts) run by Bun, from the bun npm package that test/runtimes installs. No build step.
const dir = join(root, "examples/elysia");
const bun = join(root, "test/runtimes/node_modules/bun/bin/bun.exe");
const SECRET = generateSecret();

describe("examples/elysia on Bun", () => {
  let app: AppServer | undefined;
  beforeAll(async () => {
    if (!existsSync(bun)) throw new Error(`${bun} is missing: the bun package's postinstall did not run (pnpm install)`);
    ensureBuilt("core");
    app = await startApp({
      command: [bun, "server.ts"],
      cwd: dir,
      env: childEnv({ GEMINI_WEBHOOK_SECRET: SECRET, PORT: "0" }),
      ready: /listening (\d+)/,
    });
  });
  afterAll(() => app?.stop(), 20_000);

  receivesDeliveries(() => app!, () => SECRET, "elysia");
});
