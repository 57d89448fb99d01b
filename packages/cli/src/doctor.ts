import type { AppHandlers, Finding } from "@gemini-webhooks/genai";
import { fixture, signStatic } from "@gemini-webhooks/testing";
import { appHandlersOf, importApp } from "./app-module.js";
import { parse, str } from "./args.js";
import { clientFromEnv, loadGenai } from "./genai.js";
import { CliError, type CliIO } from "./output.js";
import { maskUrls, printable, printableJson } from "./text.js";

const OPTIONS = {
  url: { type: "string" },
  app: { type: "string" },
  export: { type: "string" },
  json: { type: "boolean" },
} as const;

/** The secrets the app verifies with: GEMINI_WEBHOOK_SECRET, several (a rotation) comma- or space-separated. */
export function secretsFromEnv(env: CliIO["env"]): string[] | undefined {
  return env.GEMINI_WEBHOOK_SECRET?.split(/[\s,]+/).filter(Boolean);
}

/** A secret as printed: its start only. */
const shown = (secret: string) => `${secret.slice(0, secret.startsWith("whsec_") ? 10 : 4)}…`;

/**
 * Whether the app's receiver accepts a delivery signed with each secret of GEMINI_WEBHOOK_SECRET (during a
 * rotation, the new one and the old one): a probe event signed v1 and verified, handlers not run.
 */
export async function acceptedSecrets(
  receiver: { verify(r: { body: string; headers: Record<string, string> }): Promise<unknown> },
  secrets: string[],
): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const [i, secret] of secrets.entries()) {
    let signed;
    try {
      signed = signStatic({ event: fixture("batch.succeeded"), secret });
    } catch {
      findings.push({ level: "error", code: "secret_invalid", message: `GEMINI_WEBHOOK_SECRET's secret #${i + 1} (${shown(secret)}) is not a whsec_ signing secret.` });
      continue;
    }
    try {
      await receiver.verify({ body: signed.body, headers: signed.headers });
      findings.push({ level: "ok", code: "secret_accepted", message: `The app accepts deliveries signed with secret #${i + 1} (${shown(secret)}).` });
    } catch (e) {
      const code = (e as { code?: string }).code ?? "error";
      findings.push({
        level: "error",
        code: "secret_rejected",
        message: `The app rejects deliveries signed with secret #${i + 1} (${shown(secret)}): ${code}. Give the receiver every secret of GEMINI_WEBHOOK_SECRET: createGeminiWebhooks({ secret: process.env.GEMINI_WEBHOOK_SECRET.split(","), … }).`,
      });
    }
  }
  return findings;
}

/**
 * `gemini-webhooks doctor --url URL [--app MODULE] [--export NAME] [--json]`: the registered webhooks
 * against what the app expects (doctor() of @gemini-webhooks/genai). Exit 0 when nothing needs fixing, 1 when
 * something does (or the API could not be asked), 2 on bad usage. Strings from the API are printed escaped.
 */
export async function doctorCommand(args: string[], io: CliIO & { cwd?: string }, showHelp: () => number): Promise<number> {
  const p = parse("doctor", args, OPTIONS);
  if (p.values.help) return showHelp();
  if (p.positionals.length) throw new CliError(`doctor takes no arguments, got "${p.positionals.join(" ")}" (see: gemini-webhooks doctor --help)`);
  const url = str(p, "url") ?? io.env.GEMINI_WEBHOOK_URL;
  if (!url) throw new CliError("doctor needs --url (the URL Gemini should deliver to, e.g. https://my.app/gemini-callback) or GEMINI_WEBHOOK_URL");
  const genai = await loadGenai("doctor");
  const ai = await clientFromEnv("doctor", io.env);
  const appPath = str(p, "app");
  const app = appPath !== undefined ? (appHandlersOf(await importApp(appPath, io.cwd), str(p, "export")) as AppHandlers) : undefined;
  const secret = secretsFromEnv(io.env);
  let report;
  try {
    report = await genai.doctor({ ai, url, ...(secret ? { secret } : {}), ...(app ? { app } : {}) });
  } catch (e) {
    throw new CliError(printable(maskUrls((e as Error)?.message ?? String(e))), e instanceof genai.GenaiError && e.code === "configuration" ? 2 : 1);
  }
  const receiver = app as { verify?: (r: { body: string; headers: Record<string, string> }) => Promise<unknown> } | undefined;
  if (secret?.length && typeof receiver?.verify === "function") {
    report.findings.push(...(await acceptedSecrets(receiver as Required<typeof receiver>, secret)));
    report.ok = !report.findings.some((f) => f.level === "error");
  }
  if (p.values.json) {
    io.stdout.write(`${printableJson(maskUrls(JSON.stringify({ ok: report.ok, url: report.url, findings: report.findings, webhooks: report.webhooks }, null, 2)))}\n`);
  } else {
    io.stdout.write(printable(maskUrls(genai.formatDoctorReport(report)), { multiline: true }));
  }
  return report.ok ? 0 : 1;
}
