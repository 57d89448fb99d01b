import type { Config } from "@react-router/dev/config";

// A server with no pages to render ahead of time: the webhook is a resource route.
export default { ssr: true } satisfies Config;
