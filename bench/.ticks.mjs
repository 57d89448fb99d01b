import { createHook } from "node:async_hooks";
import { benchApps } from "./lib/apps.mjs";
import { socketlessRequests } from "./lib/socketless.mjs";
const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const packages = process.argv[3];
for (const kind of (process.argv[2] ?? "node-inline,node-receive").split(",")) {
  const app = await benchApps({ secret, packages })[kind]();
  const r = socketlessRequests({ app, secret });
  r.prepare(2000);
  for (let i = 0; i < 1000; i++) await r.one();
  let promises = 0;
  const h = createHook({ init(id, type) { if (type === "PROMISE") promises++; } }).enable();
  for (let i = 0; i < 1000; i++) await r.one();
  h.disable();
  console.log(kind, packages ?? "this build", (promises / 1000).toFixed(1), "promises/request");
}
