import { existsSync, readFileSync } from "node:fs";
import { defineConfig, type DefaultTheme } from "vitepress";
import { absentOtherBranchPages } from "./other-branches.mjs";

// The API reference's sidebar, written by TypeDoc (typedoc-vitepress-theme) into docs/api/ before the build.
const apiSidebarFile = new URL("../api/typedoc-sidebar.json", import.meta.url);
const apiSidebar: DefaultTheme.SidebarItem[] = existsSync(apiSidebarFile) ? JSON.parse(readFileSync(apiSidebarFile, "utf8")) : [];

const absent = absentOtherBranchPages();

const guide: DefaultTheme.SidebarItem[] = [
  {
    text: "Introduction",
    items: [
      { text: "Getting started", link: "/getting-started" },
      { text: "Rotating a secret", link: "/rotation" },
    ],
  },
  {
    text: "Frameworks",
    items: [
      { text: "Express", link: "/express" },
      { text: "Koa", link: "/koa" },
      { text: "Next.js", link: "/next" },
      { text: "NestJS", link: "/nestjs" },
      { text: "Fastify", link: "/fastify" },
      { text: "Hono", link: "/hono" },
      { text: "Bun, Deno, Workers", link: "/runtimes" },
      { text: "h3, SvelteKit, Astro, React Router, Elysia", link: "/frameworks" },
    ],
  },
  {
    text: "Reference",
    items: [
      { text: "Options", link: "/options" },
      { text: "Answers and error codes", link: "/answers" },
      { text: "Signature schemes", link: "/signatures" },
      { text: "API reference", link: "/api/" },
    ],
  },
  {
    text: "Running it",
    items: [
      { text: "Operations: logs, telemetry, dead letters", link: "/operations" },
      { text: "Many instances: Redis", link: "/redis" },
      { text: "Many instances: Postgres", link: "/postgres" },
      { text: "After the event: genai", link: "/genai" },
    ],
  },
  {
    text: "Tools",
    items: [
      { text: "The CLI", link: "/cli" },
      { text: "Testing your endpoint", link: "/testing-your-endpoint" },
    ],
  },
  {
    text: "Project",
    items: [
      { text: "Benchmarks", link: "/benchmarks" },
      { text: "Architecture", link: "/architecture" },
      { text: "Releasing", link: "/releasing" },
    ],
  },
];

export default defineConfig({
  title: "gemini-webhooks",
  description: "Receive Gemini API webhooks safely: verify, dedupe, typed handlers, for the framework you already use.",
  lang: "en-US",
  srcExclude: ["**/node_modules/**", "README.md"],
  // A link to a page another branch provides is tolerated while that page is absent, and nothing else is.
  ignoreDeadLinks: absent.map((page) => new RegExp(`^\\.?/?${page}(\\.md|\\.html)?(#.*)?$`)),
  lastUpdated: false,
  head: [["link", { rel: "icon", type: "image/svg+xml", href: "/favicon.svg" }]],
  vite: { build: { chunkSizeWarningLimit: 2048 } },
  themeConfig: {
    search: { provider: "local" },
    nav: [
      { text: "Guide", link: "/getting-started" },
      { text: "CLI", link: "/cli" },
      { text: "API", link: "/api/" },
      { text: "Releasing", link: "/releasing" },
    ],
    sidebar: {
      "/api/": [{ text: "Guide", link: "/getting-started" }, { text: "API reference", link: "/api/", items: apiSidebar }],
      "/": guide,
    },
    socialLinks: [{ icon: "github", link: "https://github.com/gemini-webhooks/gemini-webhooks" }],
    outline: { level: [2, 3] },
  },
});
