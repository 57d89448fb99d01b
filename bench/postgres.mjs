#!/usr/bin/env node
// The Postgres store's cost per delivery against the floor (issue #26): claim + complete, one delivery at a time,
// against one `INSERT … ON CONFLICT DO NOTHING` plus one `UPDATE` on the same pool and a table of the same shape
// (text primary key, an expires_at index); and transactional mode's claim + unit (BEGIN, the mark, COMMIT) against
// plain mode. Interleaved rounds, medians of per-delivery time. Imports the built packages (run `pnpm build`).
// Settings: PG_BENCH_ROUNDS (15), PG_BENCH_N (300 deliveries per round), DATABASE_URL (else a throwaway server).
import pg from "pg";
import { postgresStore } from "@gemini-webhooks/postgres";
import { startPostgres } from "./lib/postgres.mjs";

const ROUNDS = Number(process.env.PG_BENCH_ROUNDS ?? 15);
const N = Number(process.env.PG_BENCH_N ?? 300);
const server = await startPostgres();
const pool = new pg.Pool({ connectionString: server.url, max: 4 });
pool.on("error", () => {});
await pool.query("DROP SCHEMA IF EXISTS bench_floor CASCADE; DROP SCHEMA IF EXISTS bench_plain CASCADE; DROP SCHEMA IF EXISTS bench_tx CASCADE");
await pool.query(
  "CREATE SCHEMA bench_floor; CREATE TABLE bench_floor.t (key text PRIMARY KEY, done boolean NOT NULL, token text, expires_at timestamptz NOT NULL); CREATE INDEX ON bench_floor.t (expires_at)",
);
const plain = postgresStore({ pool, schema: "bench_plain" });
const tx = postgresStore({ pool, schema: "bench_tx", transactional: true });
await plain.claim("warm");
await tx.claim("warm");

let seq = 0;
const candidates = {
  floor: async (key) => {
    await pool.query("INSERT INTO bench_floor.t (key, done, token, expires_at) VALUES ($1, false, 'x', now() + interval '1 minute') ON CONFLICT DO NOTHING", [key]);
    await pool.query("UPDATE bench_floor.t SET done = true, token = NULL, expires_at = now() + interval '25 hours' WHERE key = $1", [key]);
  },
  // the same two statements, named (parsed and planned once per connection), as the store sends its own
  floorPrepared: async (key) => {
    await pool.query({ name: "floor_insert", text: "INSERT INTO bench_floor.t (key, done, token, expires_at) VALUES ($1, false, 'x', now() + interval '1 minute') ON CONFLICT DO NOTHING", values: [key] });
    await pool.query({ name: "floor_update", text: "UPDATE bench_floor.t SET done = true, token = NULL, expires_at = now() + interval '25 hours' WHERE key = $1", values: [key] });
  },
  plain: async (key) => {
    if ((await plain.claim(key)) !== "new") throw new Error("not new");
    await plain.complete(key);
  },
  transactional: async (key) => {
    if ((await tx.claim(key)) !== "new") throw new Error("not new");
    await tx.runInUnit(key, async () => {});
  },
};
const times = Object.fromEntries(Object.keys(candidates).map((k) => [k, []]));
for (const [name, fn] of Object.entries(candidates)) for (let i = 0; i < 100; i++) await fn(`warm-${name}-${i}`);
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, fn] of Object.entries(candidates)) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await fn(`gemini:msg_${++seq}`);
    times[name].push(Number(process.hrtime.bigint() - t0) / 1e3 / N);
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
console.log(`postgres store, one delivery at a time (${ROUNDS} rounds of ${N}, medians, µs per delivery):`);
console.log(`  floor (INSERT … ON CONFLICT DO NOTHING + UPDATE)  ${m.floor.toFixed(0)} µs`);
console.log(`  the same, as prepared statements                  ${m.floorPrepared.toFixed(0)} µs`);
console.log(`  postgresStore claim + complete                    ${m.plain.toFixed(0)} µs   ${(m.plain / m.floor).toFixed(2)}x the floor (goal ≤ 1.3x), ${(m.plain / m.floorPrepared).toFixed(2)}x the prepared floor`);
console.log(`  transactional: claim + unit (BEGIN, mark, COMMIT)  ${m.transactional.toFixed(0)} µs   ${(m.transactional / m.plain).toFixed(2)}x plain mode`);
await pool.end();
await server.stop();
