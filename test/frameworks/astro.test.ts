import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { generateSecret } from "@gemini-webhooks/testing";
import { ensureBuilt, root } from "../support/build.js";
import { buildApp, childEnv, freePort, receivesDeliveries, startApp, type AppServer } from "../support/framework-server.js";

// examples/astro: `astro build` (Astro 5, @astrojs/node standalone) with a decoy secret in the build's
// environment, then `node dist/server/entry.mjs` with a secret chosen after the build.
const dir = join(root, "examples/astro");
let secret = "";

describe("examples/astro (astro build + node dist/server/entry.mjs)", () => {
  let app: AppServer | undefined;
  beforeAll(async () => {
    ensureBuilt("core");
    const { out } = buildApp(dir, [process.execPath, "node_modules/astro/astro.js", "build"], ["dist"]);
    expect(out).toContain("Server built in");
    secret = generateSecret();
    const port = await freePort();
    app = await startApp({
      command: [process.execPath, "dist/server/entry.mjs"],
      cwd: dir,
      env: childEnv({ GEMINI_WEBHOOK_SECRET: secret, HOST: "127.0.0.1", PORT: String(port) }),
      ready: /Server listening on/,
      port,
    });
  }, 180_000);
  afterAll(() => app?.stop(), 20_000);

  receivesDeliveries(() => app!, () => secret, "astro");
});
