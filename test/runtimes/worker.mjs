// Cloudflare Workers (workerd): the module worker's fetch; env holds the bindings of workerd.capnp.
import { createApp } from "./app.mjs";

let app;
export default {
  fetch(request, env) {
    app ??= createApp(env);
    return app.fetch(request);
  },
};
