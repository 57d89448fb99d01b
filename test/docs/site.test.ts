import { execSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, relative } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs module without types
import { absentOtherBranchPages, PROVIDED_BY_OTHER_BRANCHES } from "../../docs/.vitepress/other-branches.mjs";
// @ts-expect-error: a plain .mjs script without types
import { sitePages } from "../../scripts/check-snippets.mjs";
import { root } from "../support/build.js";

// The built documentation site (docs/.vitepress/dist, from `pnpm docs:build`) in a real headless Chromium
// (Debian's `chromium`): every page loads with no console error and no failed request, every internal link on
// it (sidebar and nav included) resolves to a page and, with a #fragment, to an element of that page, and the
// local search finds "rotate". The site is built here when dist/ is missing or older than a page or the
// config; CI builds it first.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const DIST = join(root, "docs/.vitepress/dist");
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
};

/** The file a URL path is served from, as `vitepress preview` resolves it ("/x" and "/x.html" → x.html, "/d/" → d/index.html). */
function fileFor(pathname: string): string | undefined {
  const path = decodeURIComponent(pathname);
  const candidates = path.endsWith("/") ? [`${path}index.html`] : [path, `${path}.html`, `${path}/index.html`];
  for (const candidate of candidates) {
    const file = join(DIST, candidate);
    if (file.startsWith(DIST) && existsSync(file) && statSync(file).isFile()) return file;
  }
  return undefined;
}

/** Every page of the built site, as URL paths ("/", "/express.html", "/api/…/GeminiWebhooks.html"). */
function pages(dir = DIST): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "assets" ? [] : pages(file);
    if (!entry.name.endsWith(".html") || (dir === DIST && entry.name === "404.html")) return [];
    const path = `/${relative(DIST, file)}`;
    return [path === "/index.html" ? "/" : path];
  });
}

/** Links to a page another branch provides are tolerated while that page is absent: "/postgres.html" → "postgres". */
const absent: string[] = absentOtherBranchPages();
const toleratedPage = (pathname: string) => absent.find((page) => [`/${page}`, `/${page}.html`].includes(pathname));

let server: Server;
let origin: string;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const built = existsSync(join(DIST, "index.html")) ? statSync(join(DIST, "index.html")).mtimeMs : 0;
  const sources = [...(sitePages() as string[]), "docs/.vitepress/config.mts", "docs/typedoc.config.mjs"];
  if (sources.some((file) => statSync(join(root, file)).mtimeMs > built)) execSync("pnpm docs:build", { cwd: root, stdio: "inherit" });
  server = createServer((req, res) => {
    const file = fileFor(new URL(req.url ?? "/", "http://x").pathname);
    if (!file) {
      res.writeHead(404, { "content-type": "text/html" }).end(readFileSync(join(DIST, "404.html")));
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  }).listen(0, "127.0.0.1");
  await once(server, "listening");
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
});

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

describe("the documentation site, in Chromium", () => {
  it("has a page per guide, the CLI, rotation, releasing and the API reference of every package", () => {
    const all = pages();
    for (const p of ["/", "/getting-started.html", "/express.html", "/koa.html", "/next.html", "/nestjs.html", "/fastify.html", "/hono.html", "/runtimes.html",
      "/options.html", "/answers.html", "/signatures.html", "/rotation.html", "/operations.html", "/redis.html", "/genai.html", "/cli.html",
      "/testing-your-endpoint.html", "/benchmarks.html", "/architecture.html", "/releasing.html", "/api/"]) {
      expect(p === "/api/" ? fileFor(p) : all.includes(p) && fileFor(p), p).toBeTruthy();
    }
    const packages = readdirSync(join(root, "packages")).filter((p) => existsSync(join(root, "packages", p, "package.json")))
      .map((p) => JSON.parse(readFileSync(join(root, "packages", p, "package.json"), "utf8")) as { name: string; private?: boolean })
      .filter((p) => !p.private);
    for (const { name } of packages) expect(fileFor(`/api/${name}.html`), `API reference of ${name}`).toBeTruthy();
    // the allow-list names exactly the two pages other work provides
    expect(PROVIDED_BY_OTHER_BRANCHES).toEqual(["postgres", "frameworks"]);
  });

  it("every page loads with no console error and no failed request, and every internal link resolves", { timeout: 600_000 }, async () => {
    const problems: string[] = [];
    const linkTargets = new Map<string, string>(); // target URL (with #fragment) -> first page that links to it
    let current = "";
    page.on("console", (m) => m.type() === "error" && problems.push(`${current}: console error: ${m.text()}`));
    page.on("pageerror", (e) => problems.push(`${current}: uncaught: ${e.message}`));
    page.on("response", (r) => r.status() >= 400 && problems.push(`${current}: ${r.status()} for ${r.url()}`));
    const all = pages();
    expect(all.length).toBeGreaterThan(30);
    for (const path of all) {
      current = path;
      const response = await page.goto(origin + path, { waitUntil: "load" });
      if (response?.status() !== 200) problems.push(`${path}: answered ${response?.status()}`);
      await page.locator(".VPContent").waitFor();
      const hrefs = await page.$$eval("a[href]", (as) => as.map((a) => (a as HTMLAnchorElement).href));
      for (const href of hrefs) if (href.startsWith(origin) && !linkTargets.has(href)) linkTargets.set(href, path);
    }
    const tolerated = new Set<string>();
    for (const [href, from] of linkTargets) {
      const url = new URL(href);
      const file = fileFor(url.pathname);
      if (!file) {
        const other = toleratedPage(url.pathname);
        if (other) tolerated.add(other);
        else problems.push(`${from}: broken link to ${url.pathname}`);
        continue;
      }
      const id = decodeURIComponent(url.hash.slice(1));
      if (id && file.endsWith(".html") && !readFileSync(file, "utf8").includes(`id="${id}"`)) problems.push(`${from}: link to ${url.pathname}${url.hash}: no such anchor`);
    }
    expect(problems, problems.join("\n")).toEqual([]);
    // the pages of other branches are linked (so they appear once merged), and tolerated only while absent
    for (const other of tolerated) expect(absent).toContain(other);
    expect(linkTargets.size).toBeGreaterThan(60);
  });

  it('the local search finds "rotate" and leads to the rotation page', { timeout: 60_000 }, async () => {
    await page.goto(`${origin}/`, { waitUntil: "load" });
    await page.locator(".VPNavBarSearch button").click();
    const input = page.locator(".VPLocalSearchBox input");
    await input.fill("rotate");
    const hit = page.locator('.VPLocalSearchBox .results a[href*="rotation"]').first();
    await hit.waitFor();
    await hit.click();
    await page.waitForURL(/\/rotation(\.html)?/);
    await expect(page.locator("h1").first().innerText()).resolves.toContain("Rotating a signing secret");
  });
});
