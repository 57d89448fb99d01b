import { expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without types
import { checkSnippets, extractSnippets } from "../../scripts/check-snippets.mjs";
import { ensureBuilt } from "../support/build.js";

// Every ```ts block of README.md, docs/*.md and the package READMEs compiles as a consumer would copy it:
// against the packed packages, strict, with TypeScript 5.9 and 7 (scripts/check-snippets.mjs, which prints the
// same report: `node scripts/check-snippets.mjs`).
it("finds the snippets, and only a few are marked nocheck", () => {
  const { snippets, skipped } = extractSnippets() as { snippets: unknown[]; skipped: string[] };
  expect(snippets.length).toBeGreaterThan(25);
  expect(skipped.every((where) => where.startsWith("docs/architecture.md:"))).toBe(true);
});

it("every snippet type-checks with TypeScript 5.9 and 7; redisStore needs no bullmq types", { timeout: 300_000 }, () => {
  ensureBuilt("core", "express", "fastify", "hono", "koa", "next", "nestjs", "postgres", "redis", "testing", "otel", "genai");
  const { errors } = checkSnippets() as { errors: string[] };
  expect(errors, errors.join("\n")).toEqual([]);
});
