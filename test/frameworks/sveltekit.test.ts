import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { generateSecret } from "@gemini-webhooks/testing";
import { ensureBuilt, root } from "../support/build.js";
import { buildApp, childEnv, freePort, receivesDeliveries, startApp, type AppServer } from "../support/framework-server.js";

// examples/sveltekit: `vite build` (SvelteKit 2, adapter-node) with a decoy secret in the build's environment,
// then `node build/index.js` with a secret chosen after the build.
const dir = join(root, "examples/sveltekit");
let secret = "";

describe("examples/sveltekit (vite build + node build/index.js)", () => {
  let app: AppServer | undefined;
  beforeAll(async () => {
    ensureBuilt("core");
    const { out } = buildApp(dir, [process.execPath, "node_modules/vite/bin/vite.js", "build"], ["build", ".svelte-kit/output"]);
    expect(out).toContain("Using @sveltejs/adapter-node");
    secret = generateSecret();
    const port = await freePort();
    app = await startApp({
      command: [process.execPath, "build/index.js"],
      cwd: dir,
      env: childEnv({ GEMINI_WEBHOOK_SECRET: secret, HOST: "127.0.0.1", PORT: String(port) }),
      ready: /Listening on/,
      port,
    });
  }, 180_000);
  afterAll(() => app?.stop(), 20_000);

  receivesDeliveries(() => app!, () => secret, "sveltekit");
});
