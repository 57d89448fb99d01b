import { execSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../../", import.meta.url));

/** Builds the named packages when their dist/ is missing (`pnpm test` builds everything first). */
export function ensureBuilt(...pkgs: string[]): void {
  const missing = pkgs.filter((p) => !existsSync(`${root}packages/${p}/dist/index.js`));
  if (missing.length === 0) return;
  execSync(`pnpm ${missing.map((p) => `--filter @gemini-webhooks/${p}`).join(" ")} build`, { cwd: root, stdio: "inherit" });
}
