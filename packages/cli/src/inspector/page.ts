/** The inspector's page: markup and style only. Every delivery field is filled in by client.ts with textContent. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gemini-webhooks inspector</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/inspector.css">
<script src="/inspector.js" defer></script>
</head>
<body>
<header>
  <h1>gemini-webhooks <span>inspector</span></h1>
  <p id="where"></p>
  <p id="connection" class="down">connecting…</p>
</header>
<nav>
  <label>Event type <select id="filter-type"><option value="">all</option></select></label>
  <label>Outcome <select id="filter-outcome"><option value="">all</option></select></label>
  <span id="count">0 deliveries</span>
</nav>
<main>
  <ol id="deliveries" aria-label="Deliveries"></ol>
  <section id="detail" aria-live="polite">
    <p class="empty">No delivery yet. Send one: <code id="try"></code></p>
  </section>
</main>
</body>
</html>
`;

/** The page's icon (so a browser's /favicon.ico request is answered too): a webhook-ish hook, no external fetch. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0969da"/><path d="M5 4v5a3 3 0 0 0 6 0V7" fill="none" stroke="#fff" stroke-width="2" stroke-linecap="round"/></svg>
`;

export const PAGE_CSS = `
:root { --bg: #fafafa; --fg: #1f2328; --dim: #6e7781; --line: #d8dee4; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --sel: #ddf4ff; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); display: flex; flex-direction: column; height: 100vh; }
header { display: flex; align-items: baseline; gap: 1.5em; padding: .6em 1em; border-bottom: 1px solid var(--line); background: #fff; }
h1 { font-size: 16px; margin: 0; } h1 span { color: var(--dim); font-weight: normal; }
header p { margin: 0; color: var(--dim); }
#connection { margin-left: auto; } #connection.up { color: var(--ok); } #connection.down { color: var(--bad); }
nav { display: flex; gap: 1.2em; align-items: center; padding: .5em 1em; border-bottom: 1px solid var(--line); }
nav #count { color: var(--dim); margin-left: auto; }
main { flex: 1; display: grid; grid-template-columns: minmax(340px, 40%) 1fr; min-height: 0; }
#deliveries { list-style: none; margin: 0; padding: 0; overflow: auto; border-right: 1px solid var(--line); }
#deliveries li { display: grid; grid-template-columns: 4.6em max-content minmax(0, 1fr); gap: .1em .6em; padding: .45em 1em; border-bottom: 1px solid var(--line); cursor: pointer; }
#deliveries li:hover { background: #f0f3f6; } #deliveries li.selected { background: var(--sel); }
#deliveries li[hidden] { display: none; }
#deliveries .time { color: var(--dim); font-variant-numeric: tabular-nums; white-space: nowrap; }
#deliveries .type { font-weight: 500; min-width: 0; overflow-wrap: anywhere; }
#deliveries .id { grid-column: 2 / -1; min-width: 0; color: var(--dim); font-size: 12px; overflow-wrap: anywhere; }
#deliveries .tag { display: inline-block; white-space: nowrap; padding: 0 .45em; border: 1px solid var(--line); border-radius: 1em; background: #fff; }
/* the deliveries of one webhook-id (Gemini's retries, resends) sit together, newest first, joined by a bar */
#deliveries li.in-group { box-shadow: inset 3px 0 0 #8c959f; }
#deliveries li.in-group:not(.group-last) { border-bottom-style: dashed; }
#deliveries .outcome { white-space: nowrap; }
.outcome { font-weight: 600; } .outcome.ok { color: var(--ok); } .outcome.warn { color: var(--warn); } .outcome.bad { color: var(--bad); }
#detail { overflow: auto; padding: 1em 1.4em; background: #fff; }
#detail h2 { margin: 0 0 .6em; font-size: 18px; } #detail h3 { margin: 1.2em 0 .4em; font-size: 14px; }
#detail .empty { color: var(--dim); }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; margin: 0; }
dl.summary dt { color: var(--dim); } dl.summary dd { margin: 0; word-break: break-all; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: .7em .9em; overflow: auto; margin: 0; font: 12.5px/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; white-space: pre-wrap; word-break: break-word; }
.j-key { color: #0550ae; } .j-str { color: #0a3069; } .j-lit { color: #8250df; }
table.headers { border-collapse: collapse; font: 12.5px ui-monospace, SFMono-Regular, Menlo, monospace; }
table.headers td { border-top: 1px solid var(--line); padding: .2em .8em .2em 0; vertical-align: top; word-break: break-all; } table.headers td:first-child { color: var(--dim); white-space: nowrap; }
.actions { display: flex; gap: .6em; align-items: center; margin-top: 1em; }
button { font: inherit; white-space: nowrap; padding: .3em .9em; border: 1px solid var(--line); border-radius: 6px; background: #f6f8fa; cursor: pointer; }
button:hover { background: #eef1f4; } button:disabled { color: var(--dim); cursor: not-allowed; }
#resend-status { color: var(--dim); }
`;
