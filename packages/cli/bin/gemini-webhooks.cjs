#!/usr/bin/env node
"use strict";
// The `gemini-webhooks` bin. A checked-in shim, so package managers can link it before the package is built.
try {
  require.resolve("../dist/bin.cjs");
} catch {
  process.stderr.write("error: @gemini-webhooks/cli is not built yet: run `pnpm build` at the repository root\n");
  process.exit(1);
}
require("../dist/bin.cjs");
