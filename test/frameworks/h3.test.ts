import { join } from "node:path";
import { afterAll, beforeAll, describe } from "vitest";
import { generateSecret } from "@gemini-webhooks/testing";
import { ensureBuilt, root } from "../support/build.js";
import { childEnv, receivesDeliveries, startApp, type AppServer } from "../support/framework-server.js";

// examples/h3 served by node:http: the h3 2 app (Nitro 3) and the h3 1 app (Nuxt 3 and 4, Nitro 2), each
// passing the web Request (event.req, toWebRequest(event)) to core's fetch(). No build step.
const dir = join(root, "examples/h3");
const SECRET = generateSecret();

describe.each([
  ["h3 2", []],
  ["h3 1", ["--v1"]],
] as const)("examples/h3 on %s", (name, args) => {
  let app: AppServer | undefined;
  beforeAll(async () => {
    ensureBuilt("core");
    app = await startApp({
      command: [process.execPath, "server.mjs", ...args],
      cwd: dir,
      env: childEnv({ GEMINI_WEBHOOK_SECRET: SECRET, PORT: "0" }),
      ready: /listening (\d+)/,
    });
  });
  afterAll(() => app?.stop(), 20_000);

  receivesDeliveries(() => app!, () => SECRET, name.replace(" ", ""));
});
