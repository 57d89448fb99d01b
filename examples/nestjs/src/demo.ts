// `pnpm --filter example-nestjs demo`: starts the example app on 127.0.0.1 (Express, then Fastify) and
// delivers real signed webhooks to it the way Gemini would: one of every event type, a forged one, a
// tampered one, a replayed (stale) one, a duplicate, one whose handler fails and then succeeds on retry,
// and the same on the guarded route. Prints a table; exits 0 when every row behaved as it should.
import { allFixtures, fixture, generateSecret, signStatic, type SignedDelivery } from "@gemini-webhooks/testing";
import { createApp, type Platform } from "./app";

interface Row {
  platform: Platform;
  name: string;
  expected: string;
  got: string;
  ok: boolean;
}

async function run(platform: Platform, rows: Row[]): Promise<void> {
  const secret = generateSecret();
  const effects = new Map<string, number>(); // webhook-id -> handler runs that completed
  let flakyFailures = 0;
  const app = await createApp(
    {
      secret,
      on: {
        "*": (event, ctx) => {
          if (event.data.id === "batches/flaky" && flakyFailures++ === 0) throw new Error("database briefly unavailable");
          effects.set(ctx.webhookId, (effects.get(ctx.webhookId) ?? 0) + 1);
        },
      },
      onError: () => {},
    },
    { platform, logger: false },
  );
  await app.listen(0, "127.0.0.1");
  const base = (await app.getUrl()).replace("[::1]", "127.0.0.1");

  async function row(name: string, d: SignedDelivery, expected: string, check: () => boolean = () => true, path = "/gemini-callback") {
    const res = await fetch(base + path, { method: "POST", headers: d.headers, body: d.body });
    const json = (await res.json()) as { status?: string; error?: { code: string } };
    const got = `${res.status} ${json.status ?? json.error?.code}`;
    rows.push({ platform, name, expected, got, ok: got === expected && check() });
  }

  const now = () => Math.floor(Date.now() / 1000);
  const first = signStatic({ event: allFixtures()[0], secret });
  for (const [i, event] of allFixtures().entries()) {
    const d = i === 0 ? first : signStatic({ event, secret });
    await row(event.type, d, "200 received", () => effects.get(d.headers["webhook-id"]) === 1);
  }
  await row("forged (signed with another secret)", signStatic({ event: fixture("batch.succeeded"), secret: generateSecret() }), "400 signature_mismatch");
  const tampered = signStatic({ event: fixture("batch.succeeded"), secret });
  await row("tampered body (URI swapped after signing)", { ...tampered, body: tampered.body.replace("gs://my-bucket", "gs://evil-bucket") }, "400 signature_mismatch");
  await row("replayed 10 minutes later (stale timestamp)", signStatic({ event: fixture("batch.succeeded"), secret, timestamp: now() - 600 }), "400 timestamp_too_old");
  await row("duplicate of the first delivery", first, "200 duplicate", () => effects.get(first.headers["webhook-id"]) === 1);
  const flaky = signStatic({ event: fixture("batch.failed", { id: "batches/flaky" }), secret });
  await row("handler throws (attempt 1)", flaky, "500 handler_failed", () => !effects.has(flaky.headers["webhook-id"]));
  await row("…Gemini retries (attempt 2)", flaky, "200 received", () => effects.get(flaky.headers["webhook-id"]) === 1);
  const guarded = signStatic({ event: fixture("batch.succeeded"), secret });
  await row("guarded route: delivery", guarded, "200 received", undefined, "/webhooks/gemini");
  await row("guarded route: duplicate", guarded, "200 duplicate", undefined, "/webhooks/gemini");
  await row("guarded route: forged", signStatic({ event: fixture("batch.succeeded"), secret: generateSecret() }), "400 signature_mismatch", undefined, "/webhooks/gemini");
  await app.close();
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const platform of ["express", "fastify"] as const) await run(platform, rows);
  const color = process.stdout.isTTY && !process.env.NO_COLOR;
  const paint = (code: number, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    console.log(`${r.ok ? paint(32, "ok  ") : paint(31, "FAIL")} ${r.platform.padEnd(8)} ${r.name.padEnd(width)}  ${r.got}${r.ok ? "" : ` (expected ${r.expected})`}`);
  }
  const failed = rows.filter((r) => !r.ok).length;
  console.log(failed ? paint(31, `${failed} of ${rows.length} rows failed`) : paint(32, `all ${rows.length} rows behaved as Gemini needs`));
  process.exit(failed ? 1 : 0);
}

void main();
