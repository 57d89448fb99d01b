// POST /gemini-callback: SvelteKit hands the endpoint the web Request, body unread.
import { receiver } from "$lib/webhooks.server.js";

/** @type {import('./$types').RequestHandler} */
export const POST = ({ request }) => receiver().fetch(request);
