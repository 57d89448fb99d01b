import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (name: string, file: string) => fileURLToPath(new URL(`./packages/${name}/src/${file}.ts`, import.meta.url));
const nest12 = (name: string) => fileURLToPath(new URL(`./test/nest12/node_modules/@nestjs/${name}`, import.meta.url));

export default defineConfig({
  resolve: {
    // exact matches: "@gemini-webhooks/core" must not swallow "@gemini-webhooks/core/adapter"
    alias: [
      { find: /^@gemini-webhooks\/core\/adapter$/, replacement: src("core", "adapter") },
      { find: /^@gemini-webhooks\/core\/node$/, replacement: src("core", "node") },
      { find: /^@gemini-webhooks\/redis\/bullmq$/, replacement: src("redis", "bullmq") },
      ...["core", "express", "genai", "koa", "next", "nestjs", "redis", "testing", "otel"].map((name) => ({
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
    projects: [
      { extends: true, test: { name: "main", include: ["test/**/*.test.ts", "packages/*/test/**/*.test.ts"], provide: { nestMajor: 11 } } },
      {
        // The NestJS suite again on NestJS 12 (test/ itself depends on 11): @nestjs/* resolve to test/nest12's.
        // The CommonJS and example tests load Nest through Node's own resolution, so they stay on 11 only.
        extends: true,
        resolve: {
          alias: Object.fromEntries(["common", "core", "platform-express", "platform-fastify"].map((n) => [`@nestjs/${n}`, nest12(n)])),
        },
        test: {
          name: "nest12",
          include: ["test/nestjs/guard.test.ts", "test/nestjs/module.test.ts", "test/nestjs/version.test.ts"],
          provide: { nestMajor: 12 },
        },
      },
    ],
  },
});
