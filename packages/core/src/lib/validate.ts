import { GeminiWebhooksConfigError } from "../errors.js";

/**
 * The one number check for options: `value` when it is a finite number ≥ `min`, `dflt` when undefined,
 * else a startup error naming the option (`option` is its full name, e.g. "jwks.cooldownMs").
 */
export function numberOption(option: string, value: unknown, dflt: number, min: number): number {
  if (value === undefined) return dflt;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new GeminiWebhooksConfigError(option, `${option} must be a number ≥ ${min}, got ${typeof value === "number" ? value : value === null ? "null" : typeof value}.`);
  }
  return value;
}

/** `value` when it is a function or undefined, else a startup error naming the option and the shape expected. */
export function functionOption(option: string, value: unknown, shape: string): void {
  if (value !== undefined && typeof value !== "function") {
    throw new GeminiWebhooksConfigError(option, `${option} must be a function (${shape}), got ${value === null ? "null" : typeof value}.`);
  }
}

/** Whether `value` is an object with a function at each of `methods`. */
export function hasMethods(value: unknown, methods: readonly string[]): boolean {
  return typeof value === "object" && value !== null && methods.every((m) => typeof (value as Record<string, unknown>)[m] === "function");
}
