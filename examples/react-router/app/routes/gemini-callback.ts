// POST /gemini-callback: a resource route (no component); its action gets the web Request, body unread, and
// the Response it returns is sent as it is.
import type { ActionFunctionArgs } from "react-router";
import { receiver } from "../lib/webhooks.server";

export const action = ({ request }: ActionFunctionArgs) => receiver().fetch(request);
