import { createSender, type AttemptReport, type DeliveryReport, type SenderScheme } from "@gemini-webhooks/testing";
import { formatStats } from "./stats.js";
import { buildEvent, EVENT_OPTIONS, list, num, parse, secretOf, str, url as parseUrl } from "./args.js";
import { DEFAULT_URL } from "./help.js";
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER, DEFAULT_ISSUER_PORT, defaultKeysPath, startLocalIssuer, type LocalIssuer } from "./local-issuer.js";
import { maskUrls, printable } from "./text.js";
import { CliError, colorsFor, formatMs, paintStatus, plural, progressLine, type CliIO } from "./output.js";

const OPTIONS = {
  ...EVENT_OPTIONS,
  url: { type: "string" },
  secret: { type: "string" },
  dynamic: { type: "boolean" },
  scheme: { type: "string" },
  keys: { type: "string" },
  "issuer-port": { type: "string" },
  audience: { type: "string" },
  count: { type: "string", short: "n" },
  concurrency: { type: "string" },
  "max-attempts": { type: "string" },
  "base-delay": { type: "string" },
  timeout: { type: "string" },
  "time-scale": { type: "string" },
  duplicates: { type: "string" },
  reorder: { type: "boolean" },
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
} as const;

function describe(a: AttemptReport): string {
  if (a.status !== undefined) return `${a.status}${a.answer ? ` ${printable(a.answer)}` : ""}`;
  return a.outcome === "timeout" ? "timeout" : `network error${a.message ? ` (${printable(maskUrls(a.message))})` : ""}`;
}

export async function trigger(args: string[], io: CliIO, showHelp: () => number): Promise<number> {
  const p = parse("trigger", args, OPTIONS);
  if (p.values.help) return showHelp();
  if (p.positionals.length > 1) throw new CliError(`trigger takes one event type, got ${p.positionals.join(" ")} (use --count to send several)`);
  const event = buildEvent(p.positionals[0], p, "trigger");
  const target = parseUrl(str(p, "url") ?? io.env.GEMINI_WEBHOOK_URL ?? DEFAULT_URL);
  const dynamic = p.values.dynamic === true;
  const schemeArg = str(p, "scheme");
  if (schemeArg !== undefined && !["v1", "v1a", "jwt"].includes(schemeArg)) throw new CliError(`--scheme must be v1a or jwt (with --dynamic) or v1, got "${schemeArg}"`);
  if (!dynamic && schemeArg !== undefined && schemeArg !== "v1") throw new CliError(`--scheme ${schemeArg} signs as a dynamic webhook: add --dynamic`);
  if (dynamic && str(p, "secret") !== undefined) throw new CliError("give --secret (static webhook) or --dynamic (dynamic webhook), not both");
  const scheme: SenderScheme = dynamic ? ((schemeArg as SenderScheme | undefined) ?? "v1a") : "v1";
  if (dynamic && scheme === "v1") throw new CliError("--dynamic signs with v1a or jwt; drop --scheme v1 or --dynamic");
  const secret = dynamic ? undefined : secretOf(p, io, true);
  const count = num(p, "count", 1, 1, 1_000_000, true);
  const maxAttemptsArg = num(p, "max-attempts", 3, 0, Infinity, true);
  const retry = {
    maxAttempts: maxAttemptsArg === 0 ? Infinity : maxAttemptsArg,
    baseDelayMs: num(p, "base-delay", 1000, 0),
    timeoutMs: num(p, "timeout", 10_000, 1),
    timeScale: num(p, "time-scale", 1, 0),
  };
  const duplicateRate = num(p, "duplicates", 0, 0, 1);
  const concurrency = num(p, "concurrency", 8, 1, 10_000, true);
  const json = p.values.json === true;
  const quiet = p.values.quiet === true;
  const out = colorsFor(io.stdout, io.env);
  const err = colorsFor(io.stderr, io.env);
  const log = (s: string) => void (!quiet && !json && io.stdout.write(`${s}\n`));
  const verbose = count <= 20;
  /**
   * A receiver's reason (its answer's message, often ~200 characters) is printed once: on the first attempt
   * line that carries it (a retry answering the same reason does not repeat it), and the closing error only
   * when no attempt line showed it (--quiet, --json, or more than 20 events).
   */
  const shownReasons = new Set<string>();
  const reasonKey = (d: DeliveryReport, message: string) => `${d.id}\n${message}`;

  let issuer: LocalIssuer | undefined;
  if (dynamic) {
    issuer = await startLocalIssuer({
      keysPath: str(p, "keys") ?? defaultKeysPath(io.env),
      port: num(p, "issuer-port", DEFAULT_ISSUER_PORT, 0, 65535, true),
      audience: str(p, "audience") ?? DEFAULT_AUDIENCE,
      issuer: DEFAULT_ISSUER,
    });
    if (!quiet && !json) {
      io.stderr.write(
        `${err.dim(`${issuer.created ? "created test keys in" : "test keys:"} ${issuer.keysPath}`)}\n` +
          `${err.dim(`serving their JWKS at ${issuer.jwksUri} (receiver: jwks: { uri: "${issuer.jwksUri}", audience: "${issuer.audience}" })`)}\n`,
      );
    }
  }

  const started = Date.now();
  const sender = createSender({
    url: target,
    ...(secret !== undefined ? { secret } : {}),
    ...(issuer ? { issuer: issuer.signer } : {}),
    scheme,
    retry,
    duplicateRate,
    reorder: p.values.reorder === true,
    concurrency,
    onAttempt: (a: AttemptReport, d: DeliveryReport) => {
      if (!verbose || quiet || json) return;
      if (a.kind === "duplicate") {
        log(`  ${out.dim("duplicate")} ${d.id} → ${paintStatus(out, a.status, describe(a))}`);
      } else if (a.outcome !== "ok") {
        const more = a.n < retry.maxAttempts ? "will retry" : "giving up";
        const reason = a.message && a.status !== undefined && !shownReasons.has(reasonKey(d, a.message)) ? a.message : undefined;
        if (reason !== undefined) shownReasons.add(reasonKey(d, reason));
        log(`  ${out.dim(`attempt ${a.n}`)} ${d.type} ${d.id} → ${paintStatus(out, a.status, describe(a))}${reason !== undefined ? out.dim(`: ${printable(reason)}`) : ""} ${out.dim(`(${more})`)}`);
      }
    },
  });
  const progress = progressLine(io, () => {
    const s = sender.stats;
    return `${err.dim("delivering")} ${s.delivered + s.failed}/${count} done · ${s.delivered} delivered · ${s.failed} failed · ${s.attempts} attempts (${s.retries} retries) · ${formatMs(Date.now() - started)}`;
  });
  let reports: DeliveryReport[];
  try {
    const events = Array.from({ length: count }, () => structuredClone(event));
    reports = await sender.send(events);
  } finally {
    progress.stop();
    await issuer?.close();
  }

  if (json) io.stdout.write(`${JSON.stringify(count === 1 ? reports[0] : { stats: sender.stats, deliveries: reports }, null, 2)}\n`);
  else if (!quiet) {
    if (verbose) {
      for (const r of reports) {
        const last = r.attempts[r.attempts.length - 1]!;
        const mark = r.delivered ? out.green("✔") : out.red("✘");
        log(
          `${mark} ${out.bold(r.type)} ${out.dim(r.id)} → ${paintStatus(out, last.status, describe(last))} ${out.dim(`after ${plural(r.attempts.length, "attempt")}, ${formatMs(last.startedAt + last.durationMs - r.attempts[0]!.startedAt)}`)}`,
        );
      }
    }
    if (count > 1) log(out.dim(formatStats(sender.stats)));
  }

  const failed = reports.filter((r) => !r.delivered);
  if (failed.length === 0) return 0;
  const f = failed[0]!;
  const last = f.attempts[f.attempts.length - 1]!;
  const shown = last.message !== undefined && shownReasons.has(reasonKey(f, last.message));
  const detail = `${describe(last)}${last.message && last.status !== undefined && !shown ? `: ${last.message}` : ""}`;
  const hint = last.outcome === "network_error" ? ` (is the receiver running at ${target}?)` : last.answer === "signature_mismatch" ? " (is --secret the receiver's secret?)" : "";
  const what = count === 1 ? "delivery failed" : `${failed.length} of ${count} deliveries failed`;
  throw new CliError(`${what} after ${plural(f.attempts.length, "attempt")}: ${detail}${hint}`, 1);
}
