import { defineNitroConfig } from "nitropack/config";

// Nitro 2 (the server engine of Nuxt 3 and 4) on Node; the webhook is routes/gemini-callback.post.ts.
export default defineNitroConfig({ preset: "node-server", compatibilityDate: "2026-01-01" });
