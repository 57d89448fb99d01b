// POST /gemini-callback: an Astro endpoint, rendered on demand, gets the web Request with its body unread.
import { receiver } from "../lib/webhooks.js";

export const prerender = false;

/** @type {import("astro").APIRoute} */
export const POST = ({ request }) => receiver().fetch(request);
