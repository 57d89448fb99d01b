import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createGeminiWebhooks, type GeminiWebhooksOptions, type JwksOptions } from "@gemini-webhooks/core";
import { generateSecret } from "@gemini-webhooks/testing";
import { startInspector, type Inspector } from "./inspector/server.js";
import { createResender } from "./inspector/resend.js";
import { num, parse, secretOf, str, url as parseUrl } from "./args.js";
import { jsonLine, textBlock } from "./listen/print.js";
import { createReceiver } from "./listen/receiver.js";
import { DeliveryLog } from "./listen/record.js";
import { DEFAULT_AUDIENCE, defaultJwksUri } from "./local-issuer.js";
import { CliError, colorsFor, type CliIO } from "./output.js";
import { maskUrl, printable } from "./text.js";

const OPTIONS = {
  port: { type: "string", short: "p" },
  host: { type: "string" },
  secret: { type: "string" },
  dynamic: { type: "boolean" },
  "jwks-uri": { type: "string" },
  audience: { type: "string" },
  "fail-rate": { type: "string" },
  forward: { type: "string" },
  "forward-timeout": { type: "string" },
  ui: { type: "boolean" },
  "ui-port": { type: "string" },
  headers: { type: "boolean" },
  json: { type: "boolean" },
} as const;

function listenOn(server: Server, port: number, host: string, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(e.code === "EADDRINUSE" ? new CliError(`port ${port} is in use on ${host}: pass another ${what}`, 1) : new CliError(`cannot listen on ${host}:${port}: ${e.message}`, 1)),
    );
    server.listen(port, host, () => resolve());
  });
}

/**
 * `gemini-webhooks listen`: a local receiver that verifies and shows each delivery; with --forward it passes
 * each verified delivery to the app and the app's answer back; with --ui it serves the inspector page.
 * Runs until SIGINT/SIGTERM (or `stop` resolves); returns the exit code.
 */
export async function listen(args: string[], io: CliIO, showHelp: () => number, stop?: Promise<unknown>): Promise<number> {
  const p = parse("listen", args, OPTIONS);
  if (p.values.help) return showHelp();
  if (p.positionals.length) throw new CliError(`listen takes no arguments, got "${p.positionals.join(" ")}" (see: gemini-webhooks listen --help)`);
  const port = num(p, "port", 3000, 0, 65535, true);
  const host = str(p, "host") ?? "127.0.0.1";
  const failRate = num(p, "fail-rate", 0, 0, 1);
  const forwardArg = str(p, "forward");
  const forward = forwardArg !== undefined ? { url: parseUrl(forwardArg), timeoutMs: num(p, "forward-timeout", 30_000, 1) } : undefined;
  if (!forward && str(p, "forward-timeout") !== undefined) throw new CliError("--forward-timeout needs --forward");
  if (forward && failRate > 0) throw new CliError("--fail-rate makes the listener's own handler fail; with --forward the app answers: drop one of them");
  const ui = p.values.ui === true;
  const uiPort = num(p, "ui-port", 0, 0, 65535, true);
  if (!ui && str(p, "ui-port") !== undefined) throw new CliError("--ui-port needs --ui");
  const json = p.values.json === true;
  const showHeaders = p.values.headers === true;
  const c = colorsFor(io.stdout, io.env);

  let secret = secretOf(p, io, false);
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
  if (forward && secret === undefined && !jwks) {
    throw new CliError("--forward needs the app's --secret (or GEMINI_WEBHOOK_SECRET, or --dynamic): the listener verifies each delivery with it before forwarding");
  }
  const generated = secret === undefined;
  secret ??= generateSecret();

  let failures = 0;
  // the listener shows every outcome itself: core's log lines would only repeat them
  const common = { secret, ...(jwks ? { jwks } : {}), logger: false, deadLetters: false } as const;
  const options: GeminiWebhooksOptions = forward
    ? // the app claims and dedupes: every retry must reach it
      { ...common, idempotency: false }
    : {
        ...common,
        on: {
          "*": () => {
            if (failRate > 0 && Math.random() < failRate) {
              failures++;
              throw new Error("failure injected by --fail-rate");
            }
          },
        },
      };
  const log = new DeliveryLog();
  const unsubscribe = log.subscribe((r) => io.stdout.write(json ? jsonLine(r) : textBlock(r, c, showHeaders)));
  const server = createServer(
    createReceiver({ webhooks: createGeminiWebhooks(options), ...(forward ? { forward } : {}), log }),
  );
  await listenOn(server, port, host, "--port");
  const addr = server.address() as AddressInfo;
  const base = `http://${addr.family === "IPv6" ? `[${addr.address}]` : addr.address}:${addr.port}`;
  const example = `gemini-webhooks trigger batch.succeeded --url ${base}/gemini-callback${generated ? ` --secret ${secret}` : ""}`;

  let inspector: Inspector | undefined;
  if (ui) {
    const resender = createResender({ listening: base, secret, onProgress: (pr) => inspector?.progress(pr) });
    try {
      inspector = await startInspector({ port: uiPort, log, resender, info: { listening: base, ...(forward ? { forward: maskUrl(forward.url) } : {}), example } });
    } catch (e) {
      server.close();
      const code = (e as NodeJS.ErrnoException).code;
      throw new CliError(code === "EADDRINUSE" ? `port ${uiPort} is in use on 127.0.0.1: pass another --ui-port` : `cannot serve the inspector: ${(e as Error).message}`, 1);
    }
  }

  const e = colorsFor(io.stderr, io.env);
  if (!json) {
    io.stdout.write(`${c.bold("Listening")} on ${base} (POST, any path) — Ctrl-C to stop\n`);
    if (generated) io.stdout.write(`Signing secret (generated; pass --secret to keep one): ${c.bold(secret)}\n`);
    if (jwks) io.stdout.write(`Dynamic webhooks: JWKS ${printable(maskUrl(String(jwks.uri)))}, audience ${printable(String(jwks.audience))}\n`);
    if (forward) io.stdout.write(`Forwarding verified deliveries to ${c.bold(printable(maskUrl(forward.url)))}; the app's answer goes back to the sender\n`);
    if (inspector) io.stdout.write(`Inspector: ${c.bold(inspector.url)}\n`);
    io.stdout.write(c.dim(`Try: ${example}${jwks && !jwksUri ? "  (or --dynamic)" : ""}\n`));
  } else {
    io.stdout.write(
      `${JSON.stringify({ listening: base, ...(generated ? { secret } : {}), ...(jwks ? { jwks: maskUrl(String(jwks.uri)) } : {}), ...(forward ? { forward: maskUrl(forward.url) } : {}), ...(inspector ? { inspector: inspector.url } : {}) })}\n`,
    );
  }

  await new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve();
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    void stop?.then(onSignal);
  });
  unsubscribe();
  await inspector?.close();
  server.closeAllConnections?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const count = log.count;
  if (!json) io.stderr.write(e.dim(`\nstopped after ${count} request${count === 1 ? "" : "s"}${failures ? ` (${failures} failed on purpose)` : ""}\n`));
  return 0;
}
