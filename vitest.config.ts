import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (name: string, file: string) => fileURLToPath(new URL(`./packages/${name}/src/${file}.ts`, import.meta.url));
const nestAt = (major: number, name: string) => fileURLToPath(new URL(`./test/nest${major}/node_modules/@nestjs/${name}`, import.meta.url));
// The NestJS suite again on another major (test/ itself depends on 11): @nestjs/* resolve to test/nest<major>'s.
// The CommonJS and example tests load Nest through Node's own resolution, so they stay on 11 only.
const nestProject = (major: number) => ({
  extends: true as const,
  resolve: {
    alias: Object.fromEntries(["common", "core", "platform-express", "platform-fastify"].map((n) => [`@nestjs/${n}`, nestAt(major, n)])),
  },
  test: {
    name: `nest${major}`,
    include: ["test/nestjs/guard.test.ts", "test/nestjs/module.test.ts", "test/nestjs/version.test.ts"],
    provide: { nestMajor: major },
  },
});

export default defineConfig({
  resolve: {
    // exact matches: "@gemini-webhooks/core" must not swallow "@gemini-webhooks/core/adapter"
    alias: [
      { find: /^@gemini-webhooks\/core\/adapter$/, replacement: src("core", "adapter") },
      { find: /^@gemini-webhooks\/core\/node$/, replacement: src("core", "node") },
      { find: /^@gemini-webhooks\/core\/extend$/, replacement: src("core", "extend") },
      { find: /^@gemini-webhooks\/redis\/bullmq$/, replacement: src("redis", "bullmq") },
      { find: /^@gemini-webhooks\/postgres\/pg-boss$/, replacement: src("postgres", "pg-boss") },
      ...["cli", "core", "express", "fastify", "genai", "hono", "koa", "next", "nestjs", "otel", "postgres", "redis", "testing"].map((name) => ({
        find: new RegExp(`^@gemini-webhooks/${name}$`),
        replacement: src(name, "index"),
      })),
    ],
  },
  test: {
    testTimeout: 20_000,
    hookTimeout: 240_000,
    teardownTimeout: 30_000,
    pool: "forks",
    // console output of a passing test is dropped (the suite's intentional failures print nothing); a failing test's is shown
    silent: "passed-only",
    projects: [
      { extends: true, test: { name: "main", include: ["test/**/*.test.ts", "packages/*/test/**/*.test.ts"], provide: { nestMajor: 11 } } },
      // DESIGN: each framework peer range is tested at its oldest supported major and its newest.
      nestProject(10),
      nestProject(12),
    ],
  },
});
