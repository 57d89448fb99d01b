import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

export const ROOT = new URL("../../", import.meta.url).pathname;
export const CLI = join(ROOT, "packages/cli/bin/gemini-webhooks.cjs");

/** A small seeded PRNG (mulberry32), so a failing random run can be replayed with its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Recorded {
  headers: IncomingMessage["headers"];
  body: string;
}

/** A raw HTTP server on 127.0.0.1 that records each request and answers as `reply` says. */
export async function rawServer(reply: (req: Recorded, n: number) => Promise<{ status: number; body?: string }> | { status: number; body?: string }) {
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const rec = { headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      requests.push(rec);
      const r = await reply(rec, requests.length);
      if (res.destroyed) return;
      res.writeHead(r.status, { "content-type": "application/json" }).end(r.body ?? "");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gemini-callback`;
  return {
    url,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Builds a package when its dist is missing or older than its sources (`pnpm test` builds first anyway). */
export function ensureBuilt(pkg: string, file = "index.cjs"): void {
  const out = join(ROOT, "packages", pkg, "dist", file);
  if (existsSync(out) && statSync(out).mtimeMs >= newest(join(ROOT, "packages", pkg, "src"))) return;
  execFileSync("pnpm", ["--filter", `@gemini-webhooks/${pkg}`, "build"], { cwd: ROOT, stdio: "ignore" });
}
