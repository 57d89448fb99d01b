export { batchResults, resultText, type BatchResultLine, type BatchLineError, type BatchEventLike, type BatchResultsOptions, type GenerateContentResponseJson } from "./batch-results.js";
export { videoFile, downloadVideo, type VideoFile, type VideoEventLike } from "./video.js";
export { reconcile, readCheckpoint, DEFAULT_CHECKPOINT_KEY, type ReconcileOptions, type ReconcileReport, type ReconciledJob, type ReconcileTarget } from "./reconcile.js";
export { startReconciler, type Reconciler, type ReconcilerOptions } from "./reconciler.js";
export { terminalJob, TERMINAL_EVENT, type TerminalJob } from "./jobs.js";
export { fetchJob, type FetchedJob, type FetchJobOptions, type JobClient, type JobEventLike } from "./fetch-job.js";
export {
  doctor,
  formatDoctorReport,
  secretMatchesTruncated,
  SUBSCRIBABLE_EVENTS,
  type DoctorOptions,
  type DoctorReport,
  type Finding,
  type FindingLevel,
  type WebhookResource,
  type WebhooksClient,
  type AppHandlers,
} from "./doctor.js";
export { doctorCli, appHandlersOf, type DoctorIO } from "./doctor-cli.js";
export { GenaiError, type GenaiErrorCode } from "./errors.js";
export type { GenAIClient, BatchJobLike } from "./client.js";
export type { RetryOptions } from "./retry.js";
