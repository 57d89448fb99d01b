import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createGeminiWebhooks, type GeminiWebhooksOptions, type HandleResult, type JwksOptions } from "@gemini-webhooks/core";
import { receive } from "@gemini-webhooks/core/adapter";
import { readNodeBody, sendNode } from "@gemini-webhooks/core/node";
import { generateSecret } from "../sign-static.js";
import { num, parse, secretOf, str, url as parseUrl } from "./args.js";
import { DEFAULT_AUDIENCE, defaultJwksUri } from "./local-issuer.js";
import { CliError, colorsFor, paintStatus, type CliIO, type Paint } from "./output.js";

const OPTIONS = {
  port: { type: "string", short: "p" },
  host: { type: "string" },
  secret: { type: "string" },
  dynamic: { type: "boolean" },
  "jwks-uri": { type: "string" },
  audience: { type: "string" },
  "fail-rate": { type: "string" },
  headers: { type: "boolean" },
  json: { type: "boolean" },
} as const;

const WEBHOOK_HEADERS = ["webhook-id", "webhook-timestamp", "webhook-signature", "content-type"];

/** Colours JSON for a terminal: keys cyan, strings green, numbers and literals magenta. */
function prettyJson(value: unknown, p: Paint): string {
  const text = JSON.stringify(value, null, 2);
  if (!p.enabled) return text;
  return text.replace(/("(?:\\.|[^"\\])*")(\s*:)?|\b(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)\b/g, (m, str: string | undefined, colon: string | undefined, lit: string | undefined) => {
    if (str !== undefined) return colon ? `${p.cyan(str)}${colon}` : p.green(str);
    return lit !== undefined ? p.magenta(lit) : m;
  });
}

function indent(s: string, by = "  "): string {
  return s.replace(/^/gm, by);
}

/** Runs until SIGINT/SIGTERM (or `stop` resolves); returns the exit code. */
export async function listen(args: string[], io: CliIO, showHelp: () => number, stop?: Promise<unknown>): Promise<number> {
  const p = parse("listen", args, OPTIONS);
  if (p.values.help) return showHelp();
  if (p.positionals.length) throw new CliError(`listen takes no arguments, got "${p.positionals.join(" ")}" (see: gemini-webhooks listen --help)`);
  const port = num(p, "port", 3000, 0, 65535, true);
  const host = str(p, "host") ?? "127.0.0.1";
  const failRate = num(p, "fail-rate", 0, 0, 1);
  const json = p.values.json === true;
  const showHeaders = p.values.headers === true;
  const c = colorsFor(io.stdout, io.env);

  let secret = secretOf(p, io, false);
  const generated = secret === undefined;
  secret ??= generateSecret();
  let jwks: JwksOptions | undefined;
  const jwksUri = str(p, "jwks-uri");
  if (jwksUri !== undefined || p.values.dynamic === true) {
    jwks = {
      uri: jwksUri !== undefined ? parseUrl(jwksUri) : defaultJwksUri(),
      audience: str(p, "audience") ?? DEFAULT_AUDIENCE,
      // a local issuer comes and goes with each trigger run: refetch an unknown key soon
      cooldownMs: 1000,
    };
  } else if (str(p, "audience") !== undefined) throw new CliError("--audience needs --dynamic or --jwks-uri");

  let failures = 0;
  const options: GeminiWebhooksOptions = {
    secret,
    ...(jwks ? { jwks } : {}),
    on: {
      "*": () => {
        if (failRate > 0 && Math.random() < failRate) {
          failures++;
          throw new Error("failure injected by --fail-rate");
        }
      },
    },
  };
  const webhooks = createGeminiWebhooks(options);
  let count = 0;

  function print(req: IncomingMessage, result: HandleResult, body: Buffer | undefined): void {
    count++;
    const ctx = result.ctx;
    const answer = "status" in result.body ? result.body.status : result.body.error.code;
    const message = "error" in result.body ? result.body.error.message : undefined;
    if (json) {
      const line = {
        time: new Date().toISOString(),
        method: req.method,
        path: req.url,
        status: result.status,
        answer,
        ...(message !== undefined ? { message } : {}),
        ...(ctx ? { webhookId: ctx.webhookId, scheme: ctx.scheme, timestamp: ctx.timestamp.toISOString(), ...(ctx.keyId ? { keyId: ctx.keyId } : {}) } : {}),
        ...(result.event ? { event: result.event } : {}),
        headers: Object.fromEntries(WEBHOOK_HEADERS.filter((h) => req.headers[h] !== undefined).map((h) => [h, req.headers[h]])),
      };
      io.stdout.write(`${JSON.stringify(line)}\n`);
      return;
    }
    const time = new Date().toTimeString().slice(0, 8);
    const head = [
      c.dim(time),
      paintStatus(c, result.status, `${result.status} ${answer}`),
      result.event ? c.bold(result.event.type) : c.dim(`${req.method} ${req.url}`),
      ctx ? c.dim(`${ctx.webhookId} · ${ctx.scheme}${ctx.keyId ? ` · kid ${ctx.keyId}` : ""}`) : "",
    ].filter(Boolean);
    let s = `${head.join("  ")}\n`;
    if (message) s += `${indent(c.red(message))}\n`;
    if (showHeaders || !result.event) {
      const hs = WEBHOOK_HEADERS.filter((h) => req.headers[h] !== undefined).map((h) => `${c.dim(`${h}:`)} ${String(req.headers[h])}`);
      if (hs.length) s += `${indent(hs.join("\n"))}\n`;
    }
    if (result.event && answer !== "duplicate") s += `${indent(prettyJson(result.event, c))}\n`;
    else if (!result.event && body && body.length && result.status !== 405) {
      const text = body.toString("utf8");
      s += `${indent(c.dim(text.length > 400 ? `${text.slice(0, 400)}…` : text))}\n`;
    }
    io.stdout.write(s);
  }

  // core's receive path (method check, bounded read, pipeline), keeping the bytes to show them
  const server: Server = createServer((req, res) => {
    let body: Buffer | undefined;
    void receive(webhooks, {
      method: req.method,
      headers: req.headers,
      body: async () => (body = Buffer.from(await readNodeBody(req, { limit: webhooks.maxBodyBytes, timeoutMs: webhooks.readTimeoutMs, framework: "node" }))),
    }).then((result) => {
      if (req.method !== "POST") req.resume();
      sendNode(res, result);
      if (!result.aborted) print(req, result, body);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(e.code === "EADDRINUSE" ? new CliError(`port ${port} is in use on ${host}: pass another --port`, 1) : new CliError(`cannot listen on ${host}:${port}: ${e.message}`, 1)),
    );
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const base = `http://${addr.family === "IPv6" ? `[${addr.address}]` : addr.address}:${addr.port}`;
  const e = colorsFor(io.stderr, io.env);
  if (!json) {
    io.stdout.write(`${c.bold("Listening")} on ${base} (POST, any path) — Ctrl-C to stop\n`);
    if (generated) io.stdout.write(`Signing secret (generated; pass --secret to keep one): ${c.bold(secret)}\n`);
    if (jwks) io.stdout.write(`Dynamic webhooks: JWKS ${jwks.uri}, audience ${String(jwks.audience)}\n`);
    io.stdout.write(
      c.dim(`Try: gemini-webhooks trigger batch.succeeded --url ${base}/gemini-callback${generated ? ` --secret ${secret}` : ""}${jwks && !jwksUri ? "  (or --dynamic)" : ""}\n`),
    );
  } else {
    io.stdout.write(`${JSON.stringify({ listening: base, ...(generated ? { secret } : {}), ...(jwks ? { jwks: jwks.uri } : {}) })}\n`);
  }

  await new Promise<void>((resolve) => {
    const onSignal = () => resolve();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    void stop?.then(onSignal);
  });
  server.closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!json) io.stderr.write(e.dim(`\nstopped after ${count} request${count === 1 ? "" : "s"}${failures ? ` (${failures} failed on purpose)` : ""}\n`));
  return 0;
}
