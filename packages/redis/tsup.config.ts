import { packageBuild } from "../tsup.shared.js";

// Two entries: the store (no bullmq anywhere in its JS or types) and "./bullmq" (the queue and worker).
// (CJS shares chunks between them: one RedisTimeoutError class, see tsup.shared.ts.)
export default packageBuild({ platform: "node", entry: { index: "src/index.ts", bullmq: "src/bullmq.ts" } });
