declare module "koa2" {
  import Koa from "koa";
  export default Koa;
}
declare module "koa-bodyparser" {
  import type { Middleware } from "koa";
  export default function bodyParser(options?: { enableTypes?: string[]; jsonLimit?: string | number; [key: string]: unknown }): Middleware;
}
