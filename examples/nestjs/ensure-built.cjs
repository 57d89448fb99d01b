// `pnpm start` from a fresh clone: build the workspace packages this app uses when their dist/ is missing.
const { execSync } = require("node:child_process");
const { existsSync } = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "../..");
const missing = ["core", "nestjs", "testing"].filter((p) => !existsSync(path.join(root, "packages", p, "dist", "index.cjs")));
if (missing.length > 0) {
  console.log(`building @gemini-webhooks/{${missing.join(",")}} (dist/ missing)…`);
  execSync("pnpm --filter @gemini-webhooks/nestjs... --filter @gemini-webhooks/testing build", { cwd: root, stdio: "inherit" });
}
