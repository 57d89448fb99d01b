import { packageBuild } from "../tsup.shared.js";

// Two entries: the store and dead letters (pg only), and "./pg-boss" (the durable queue and worker, Node >= 22.12).
export default packageBuild({ platform: "node", entry: { index: "src/index.ts", "pg-boss": "src/pg-boss.ts" } });
