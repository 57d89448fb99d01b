import { packageBuild } from "../tsup.shared.js";

// Two entries: the store (no bullmq anywhere in its JS or types) and "./bullmq" (the queue and worker).
// splitting for CJS too, so both entries share one RedisTimeoutError class (instanceof holds across them).
export default packageBuild({ platform: "node", entry: { index: "src/index.ts", bullmq: "src/bullmq.ts" }, splitting: true });
