import { expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without types
import { checkSnippets, extractSnippets, sitePages } from "../../scripts/check-snippets.mjs";
import { ensureBuilt } from "../support/build.js";

// Every ```ts block of README.md, the site's pages (docs/**/*.md, not the generated docs/api) and the package READMEs compiles as a consumer would copy it:
// against the packed packages, strict, with TypeScript 5.9 and 7 (scripts/check-snippets.mjs, which prints the
// same report: `node scripts/check-snippets.mjs`).
it("finds the snippets, and only a few are marked nocheck", () => {
  const { snippets, skipped } = extractSnippets() as { snippets: unknown[]; skipped: string[] };
  expect(snippets.length).toBeGreaterThan(25);
  expect(skipped.every((where) => where.startsWith("docs/architecture.md:"))).toBe(true);
});

it("reads every page of the site, in sub-folders too, but not TypeDoc's generated API reference or dependencies", () => {
  const pages = sitePages() as string[];
  for (const page of ["docs/getting-started.md", "docs/express.md", "docs/rotation.md", "docs/runtimes.md", "docs/cli.md"]) expect(pages).toContain(page);
  expect(pages.filter((p) => /^docs\/(api|node_modules|\.vitepress)\//.test(p))).toEqual([]);
  const { snippets } = extractSnippets() as { snippets: { file: string }[] };
  expect(new Set(snippets.map((s) => s.file))).toContain("docs/rotation.md");
});

it("every snippet type-checks with TypeScript 5.9 and 7; redisStore needs no bullmq types", { timeout: 300_000 }, () => {
  ensureBuilt("core", "express", "fastify", "hono", "koa", "next", "nestjs", "postgres", "redis", "testing", "otel", "genai");
  const { errors } = checkSnippets() as { errors: string[] };
  expect(errors, errors.join("\n")).toEqual([]);
});
