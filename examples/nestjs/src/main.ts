// Run: GEMINI_WEBHOOK_SECRET=whsec_… pnpm --filter example-nestjs start
//   PORT (default 3000) · HOST (default 127.0.0.1) · PLATFORM=express|fastify (default express)
//   GEMINI_WEBHOOK_AUDIENCE / GEMINI_JWKS_URI: also accept dynamic webhooks (v1a, JWT) · GEMINI_MAX_BODY_BYTES
import { createApp, type Platform } from "./app";

async function main(): Promise<void> {
  const secret = process.env.GEMINI_WEBHOOK_SECRET || undefined;
  const audience = process.env.GEMINI_WEBHOOK_AUDIENCE || undefined;
  const jwksUri = process.env.GEMINI_JWKS_URI || undefined;
  if (!secret && !audience && !jwksUri) {
    console.error("Set GEMINI_WEBHOOK_SECRET (the whsec_… secret of your webhook; generate a test one with: npx gemini-webhooks secret)");
    process.exit(1);
  }
  const platform = (process.env.PLATFORM ?? "express") as Platform;
  if (platform !== "express" && platform !== "fastify") throw new Error(`PLATFORM must be express or fastify, not ${platform}`);
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? "127.0.0.1";
  const app = await createApp(
    {
      secret,
      jwks: audience || jwksUri ? { audience, ...(jwksUri ? { uri: jwksUri } : {}) } : undefined,
      ...(process.env.GEMINI_MAX_BODY_BYTES ? { maxBodyBytes: Number(process.env.GEMINI_MAX_BODY_BYTES) } : {}),
    },
    { platform },
  );
  app.enableShutdownHooks();
  await app.listen(port, host);
  const url = (await app.getUrl()).replace("[::1]", "localhost");
  console.log(`listening on ${url}/gemini-callback (NestJS on ${platform}); guarded route: ${url}/webhooks/gemini`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
