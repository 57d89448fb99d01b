// Promises made per request on node:http's request path (the apps of bench/lib/apps.mjs, driven without sockets):
// an async_hooks init hook counts every promise over 1,000 requests after 1,000 warm-up ones. A count, not a
// time: it does not depend on the host's load. What the one async path and the fast path make (bench/README.md).
//   node bench/promises.mjs [kinds, comma-separated: default node-bare,node-inline,node-receive] [other build's packages/ dir]
import { createHook } from "node:async_hooks";
import { benchApps } from "./lib/apps.mjs";
import { socketlessRequests } from "./lib/socketless.mjs";
import { requireBuilt } from "./lib/common.mjs";
const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const packages = process.argv[3];
requireBuilt("core");
for (const kind of (process.argv[2] ?? "node-bare,node-inline,node-receive").split(",")) {
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
