import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { generateSecret } from "@gemini-webhooks/testing";
import { ensureBuilt, root } from "../support/build.js";
import { buildApp, childEnv, freePort, receivesDeliveries, startApp, type AppServer } from "../support/framework-server.js";

// examples/react-router: `react-router build` (React Router 7, framework mode) with a decoy secret in the
// build's environment, then `react-router-serve build/server/index.js` with a secret chosen after the build.
const dir = join(root, "examples/react-router");
let secret = "";

describe("examples/react-router (react-router build + react-router-serve)", () => {
  let app: AppServer | undefined;
  beforeAll(async () => {
    ensureBuilt("core");
    const { out } = buildApp(dir, [process.execPath, "node_modules/@react-router/dev/bin.js", "build"], ["build"]);
    expect(out).toContain("build/server/index.js");
    secret = generateSecret();
    const port = await freePort();
    app = await startApp({
      command: [process.execPath, "node_modules/@react-router/serve/bin.js", "build/server/index.js"],
      cwd: dir,
      env: childEnv({ GEMINI_WEBHOOK_SECRET: secret, HOST: "127.0.0.1", PORT: String(port) }),
      ready: /\[react-router-serve\]/,
      port,
    });
  }, 180_000);
  afterAll(() => app?.stop(), 20_000);

  receivesDeliveries(() => app!, () => secret, "reactrouter");
});
