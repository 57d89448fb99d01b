import { packageBuild } from "../tsup.shared.js";

// bullmq is loaded lazily with createRequire(import.meta.url); the CJS build needs the import.meta.url shim.
export default packageBuild({ platform: "node", shims: true });
