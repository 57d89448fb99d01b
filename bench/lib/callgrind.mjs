// bench/cachegrind.mjs with CG_JS=1: a callgrind run's self cost per function, with V8's JIT code named
// after its JS function (node --perf-basic-prof writes /tmp/perf-<pid>.map: address, size, name of every
// code object it makes). Without it, every JS function lands in one "???" row.
import { readFileSync } from "node:fs";

/** The JS name of the code at `addr` (the latest code object there: V8 reuses addresses). */
function namer(mapFile) {
  const entries = readFileSync(mapFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line, i) => {
      const [start, size, ...name] = line.split(" ");
      const s = parseInt(start, 16);
      return { start: s, end: s + parseInt(size, 16), name: name.join(" "), i };
    })
    .sort((a, b) => a.start - b.start || b.i - a.i);
  return (addr) => {
    let lo = 0;
    let hi = entries.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (entries[mid].start <= addr) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    for (let i = best; i >= 0 && i > best - 50; i--) if (entries[i].start <= addr && addr < entries[i].end) return normalise(entries[i].name);
    return "JS (unnamed code)";
  };
}

/** One name per JS function whatever its tier (V8 marks them *, ~, ^, +), the file named from packages/ on. */
function normalise(name) {
  return name
    .replace(/^JS:[*^~+-]?/, "JS ")
    .replace(/^(\w+):[*^~+-]?/, "$1 ")
    .replace(/file:\/\/\/\S*?\/(packages|node_modules|bench)\//, "$1/");
}

// callgrind's events with --cache-sim=yes, and the order bench/cachegrind.mjs keeps (cachegrind's)
const CALLGRIND = ["Ir", "Dr", "Dw", "I1mr", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw"];
const CACHEGRIND = ["Ir", "I1mr", "ILmr", "D1mr", "DLmr", "D1mw", "DLmw"];

/**
 * Self cost per function of a callgrind file (`--dump-instr=yes`), in cachegrind's event order; code that
 * callgrind could not name (V8's JIT code) is named from the perf map.
 */
export function attributed(file, mapFile) {
  const jsName = namer(mapFile);
  const names = { fn: new Map(), ob: new Map() };
  const out = new Map();
  let fn = "";
  let addr = 0;
  let skipNext = false;
  let events = CALLGRIND;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line === "") continue;
    const c = line.charCodeAt(0);
    if (line.startsWith("events:")) {
      events = line.slice(7).trim().split(/\s+/);
      continue;
    }
    // a cost line: an address (absolute, +/- relative or * the same), a line number, then the events
    if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 42) {
      const parts = line.split(" ");
      const p = parts[0];
      if (p[0] === "+") addr += parseInt(p.slice(1), 16);
      else if (p[0] === "-") addr -= parseInt(p.slice(1), 16);
      else if (p !== "*") addr = parseInt(p, 16);
      // the line after calls= is the cost of a call (inclusive): not this function's own
      if (skipNext) {
        skipNext = false;
        continue;
      }
      const key = /^0x[0-9a-f]+$/.test(fn) || fn === "???" ? jsName(addr) : fn;
      let acc = out.get(key);
      if (!acc) out.set(key, (acc = new Array(events.length).fill(0)));
      for (let i = 2; i < parts.length; i++) acc[i - 2] += Number(parts[i]) || 0;
      continue;
    }
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    const k = line.slice(0, eq);
    const v = line.slice(eq + 1);
    if (k === "fn" || k === "cfn" || k === "ob" || k === "cob") {
      // "(id) name" defines a compressed name, "(id)" refers to one
      const m = /^\((\d+)\)(?: (.*))?$/.exec(v);
      const table = names[k.endsWith("fn") ? "fn" : "ob"];
      if (m && m[2] !== undefined) table.set(m[1], m[2]);
      // (callgrind names a recursive activation "name'2": one row per function)
      if (k === "fn") fn = (m ? table.get(m[1]) : v).replace(/'\d+$/, "");
    } else if (k === "calls") skipNext = true;
  }
  const order = CACHEGRIND.map((e) => events.indexOf(e));
  return new Map([...out].map(([name, v]) => [name, order.map((i) => (i < 0 ? 0 : v[i]))]));
}

/** Per function, run b's counts minus run a's. */
export function subtract(a, b) {
  const out = new Map();
  for (const [name, v] of b) out.set(name, [...v]);
  for (const [name, v] of a) {
    const into = out.get(name) ?? v.map(() => 0);
    v.forEach((x, i) => (into[i] -= x));
    out.set(name, into);
  }
  return out;
}
