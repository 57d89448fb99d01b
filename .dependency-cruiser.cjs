/**
 * The house's dependency rules (DESIGN.md "Layout" and "One pipeline for every adapter"), run by
 * `pnpm lint:deps` in CI:
 * - core imports no framework, no Node builtin and no other package of ours (it runs on web-standard runtimes);
 * - packages reach core only through its entry points (@gemini-webhooks/core, /adapter, /node, /extend), never its src;
 * - no cycles inside core (or anywhere in the packages);
 * - the CLI is a leaf: no other package loads it. (That its optional peers load only with import(), so every
 *   --help works without them, is proven by packages/cli/test/bin.test.ts: resolved packages are excluded here.)
 */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "A cycle makes modules impossible to read (or load) one at a time.",
      from: { path: "^packages/[^/]+/src" },
      // a cycle of type-only imports is erased at build time: harmless
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    {
      name: "core-no-node-builtins",
      severity: "error",
      comment: "core must load on Edge, Workers, Bun and Deno: reach node:crypto through process.getBuiltinModule, never an import.",
      from: { path: "^packages/core/src" },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "core-no-frameworks",
      severity: "error",
      comment: "core is framework-neutral: adapters hold the framework glue.",
      from: { path: "^packages/core/src" },
      to: { path: "(^|node_modules/)(express|koa|next|@nestjs|fastify|hono|ioredis|redis|bullmq|pg|pg-boss|kysely|@koa|@hono|@opentelemetry|@google)(/|$)" },
    },
    {
      name: "core-resolvable",
      severity: "error",
      comment: "Everything core imports must resolve (jose and its own modules).",
      from: { path: "^packages/core/src" },
      to: { couldNotResolve: true },
    },
    {
      name: "core-imports-no-package-of-ours",
      severity: "error",
      from: { path: "^packages/core/src" },
      to: { path: "^packages/(?!core/)" },
    },
    {
      name: "only-core-entry-points",
      severity: "error",
      comment: "Packages depend on core's public entry points only (@gemini-webhooks/core, /adapter, /node, /extend).",
      from: { path: "^packages/(?!core/)[^/]+/src" },
      to: { path: "^packages/core/(?!dist/(index|adapter|node|extend)\\.(js|cjs|d\\.ts|d\\.cts)$)" },
    },
    {
      name: "nothing-imports-the-cli",
      severity: "error",
      comment: "The CLI is a leaf: the test kit, genai and the adapters export no CLI code and never load it.",
      from: { path: "^packages/(?!cli/)[^/]+/src" },
      to: { path: "^packages/cli/" },
    },
    {
      name: "no-deep-imports-between-packages",
      severity: "error",
      from: { path: "^packages/([^/]+)/src" },
      to: { path: "^packages/(?!$1/)[^/]+/src" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(dist|node_modules)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.base.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default", "types"], mainFields: ["module", "main", "types"] },
    combinedDependencies: true,
  },
};
