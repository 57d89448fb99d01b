import { geminiPagesHandler } from "@gemini-webhooks/next";
import { on } from "../../lib/handlers";

// Pages Router. Next.js must not parse the body (the signature covers the raw bytes). Write the config
// out as a literal here: Next.js reads page config statically and ignores a re-exported one at build.
export const config = { api: { bodyParser: false } };

export default geminiPagesHandler({ secret: process.env.GEMINI_WEBHOOK_SECRET, on });
