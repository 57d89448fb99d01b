/**
 * The few pg-boss 12 methods this entry calls, as a structural type: pg-boss is ESM-only and needs Node >= 22.12,
 * so neither its code nor its types are imported here (a `PgBoss` instance fits).
 */
export interface PgBossLike {
  send(name: string, data: object, options: { id?: string; singletonKey?: string } & Record<string, unknown>): Promise<string | null>;
  work(name: string, options: Record<string, unknown>, handler: (jobs: PgBossJob[]) => Promise<unknown>): Promise<string>;
  offWork(name: string, options?: Record<string, unknown>): Promise<void>;
  createQueue(name: string, options?: Record<string, unknown>): Promise<void>;
}

/** A job as pg-boss hands it to a worker. */
export interface PgBossJob {
  id: string;
  name: string;
  data: unknown;
  retryCount?: number;
}
