import { type RouteConfig, route } from "@react-router/dev/routes";

export default [route("gemini-callback", "routes/gemini-callback.ts")] satisfies RouteConfig;
