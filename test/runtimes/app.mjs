// The app every runtime serves (plain JavaScript: Node 20 runs it as is, Bun and Deno too, workerd bundled).
//   POST /core   core's webhooks.fetch(request)
//   GET  /seen   what the handlers saw: [{ route, type, id, scheme }]
//   GET  /runtime which runtime this is (so a test cannot pass on the wrong one)
// Config comes from the runtime's environment: SECRET (v1), JWKS_URI + AUDIENCE (v1a and JWT).
import { createGeminiWebhooks } from "@gemini-webhooks/core";

export function createApp(env) {
  const seen = [];
  const record = (route) => (event, ctx) => void seen.push({ route, type: event.type, id: event.data.id, scheme: ctx.scheme });
  const options = (route) => ({
    secret: env.SECRET,
    jwks: { uri: env.JWKS_URI, audience: env.AUDIENCE, issuer: env.ISSUER },
    logger: false,
    on: { "*": record(route) },
  });
  const core = createGeminiWebhooks(options("core"));
  const routes = {
    "/core": (request) => core.fetch(request),
    "/seen": () => Response.json(seen),
    "/runtime": () => Response.json(runtime()),
  };
  return {
    /** The web-standard handler: Request in, Response out. */
    fetch(request) {
      const route = routes[new URL(request.url).pathname];
      return route ? route(request) : new Response("not found", { status: 404 });
    },
  };
}

function runtime() {
  if (globalThis.Bun) return `bun ${globalThis.Bun.version}`;
  if (globalThis.Deno) return `deno ${globalThis.Deno.version.deno}`;
  if (globalThis.navigator?.userAgent === "Cloudflare-Workers") return "workerd";
  return `node ${globalThis.process.versions.node}`;
}
