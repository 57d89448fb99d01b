import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { generateSecret } from "@gemini-webhooks/testing";
import { ensureBuilt, root } from "../support/build.js";
import { buildApp, childEnv, freePort, receivesDeliveries, startApp, type AppServer } from "../support/framework-server.js";

// examples/nitro: `nitropack build` (Nitro 2, the server engine of Nuxt 3 and 4, on h3 1) with a decoy secret in
// the build's environment, then `node .output/server/index.mjs` with a secret chosen after the build. Its route
// is the docs' Nuxt / Nitro 2 recipe: defineEventHandler and toWebRequest auto-imported.
const dir = join(root, "examples/nitro");
let secret = "";

describe("examples/nitro (nitropack build + node .output/server/index.mjs)", () => {
  let app: AppServer | undefined;
  beforeAll(async () => {
    ensureBuilt("core");
    const { out } = buildApp(dir, [process.execPath, "node_modules/nitropack/dist/cli/index.mjs", "build"], [".output"]);
    expect(out).toContain("Nitro Server built");
    secret = generateSecret();
    const port = await freePort();
    app = await startApp({
      command: [process.execPath, ".output/server/index.mjs"],
      cwd: dir,
      env: childEnv({ GEMINI_WEBHOOK_SECRET: secret, NITRO_HOST: "127.0.0.1", NITRO_PORT: String(port) }),
      ready: /Listening on/,
      port,
    });
  }, 180_000);
  afterAll(() => app?.stop(), 20_000);

  receivesDeliveries(() => app!, () => secret, "nitro");
});
