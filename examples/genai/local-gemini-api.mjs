// A minimal local stand-in for the Gemini Developer API, for the demo only (no request reaches Google):
// GET /v1beta/batches/{id}, GET /v1beta/batches (list), GET /v1beta/files/{id}:download?alt=media and
// GET /v1beta/webhooks, in the REST shapes of the public API reference. The tests use the fuller one in
// test/support/gemini-api.ts.
import { createServer } from "node:http";
import { once } from "node:events";

export async function startLocalGeminiApi({ apiKey }) {
  const batches = new Map(); // name -> { state, endTime, responsesFile }
  const files = new Map(); // "files/x" -> string
  const webhooks = [];
  const operation = (name, b) => ({
    name,
    done: true,
    metadata: {
      "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
      name,
      state: b.state,
      createTime: b.createTime,
      updateTime: b.endTime,
      endTime: b.endTime,
      ...(b.responsesFile ? { output: { responsesFile: b.responsesFile } } : {}),
    },
  });
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    const json = (status, body) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.headers["x-goog-api-key"] !== apiKey) return json(401, { error: { code: 401, message: "API key not valid.", status: "UNAUTHENTICATED" } });
    let m;
    if (url.pathname === "/v1beta/batches") return json(200, { operations: [...batches].map(([n, b]) => operation(n, b)) });
    if ((m = /^\/v1beta\/batches\/([^/:]+)$/.exec(url.pathname))) {
      const b = batches.get(`batches/${m[1]}`);
      return b ? json(200, operation(`batches/${m[1]}`, b)) : json(404, { error: { code: 404, message: "Not found.", status: "NOT_FOUND" } });
    }
    if ((m = /^\/(?:download\/)?v1beta\/files\/([^/:]+):download$/.exec(url.pathname))) {
      const f = files.get(`files/${m[1]}`);
      if (f === undefined) return json(404, { error: { code: 404, message: "Not found.", status: "NOT_FOUND" } });
      res.writeHead(200, { "content-type": "application/octet-stream" });
      return res.end(f);
    }
    if (url.pathname === "/v1beta/webhooks") return json(200, { webhooks });
    return json(404, { error: { code: 404, message: "No such route.", status: "NOT_FOUND" } });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    baseUrl: `http://127.0.0.1:${server.address().port}`,
    batches,
    files,
    webhooks,
    close: () => new Promise((r) => server.close(r)),
  };
}
