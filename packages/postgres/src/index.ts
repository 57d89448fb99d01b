export {
  postgresStore,
  type PostgresStore,
  type PostgresStoreOptions,
  type TransactionalPostgresStore,
  type PostgresUnit,
} from "./store.js";
export { postgresDeadLetters, type PostgresDeadLetters, type PostgresDeadLettersOptions } from "./dead-letters.js";
export { migrate, DEFAULT_SCHEMA, type MigrateOptions } from "./schema.js";
export { AbortedTransactionError } from "./unit.js";
// The pg-boss queue and worker are in "@gemini-webhooks/postgres/pg-boss" (pg-boss 12 needs Node >= 22.12).
