// Each benchmark prints its own table and, when run by bench/run.mjs, also hands back its figures
// (name, value, unit, goal, met) as JSON on the file named by BENCH_RESULT_FILE.
import { writeFileSync } from "node:fs";

/** A figure with its goal: `met` is true/false, or null when the figure has no goal (context only). */
export function figure(name, value, unit, goal = "", met = null, command = "") {
  return { name, value, unit, goal, met, command };
}

export function emit(script, figures) {
  const file = process.env.BENCH_RESULT_FILE;
  if (file) writeFileSync(file, JSON.stringify({ script, figures }));
}
