import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from "@nestjs/common";
import { DiscoveryService, MetadataScanner } from "@nestjs/core";
import { GEMINI_EVENT_TYPES, type GeminiWebhooks, type WebhookContext } from "@gemini-webhooks/core";
import { OWN_CONTROLLER } from "./controller.js";
import { GeminiWebhookGuard } from "./guard.js";
import { geminiWebhookInterceptor } from "./interceptor.js";
import { GEMINI_WEBHOOKS, ON_GEMINI_EVENT } from "./tokens.js";

// Nest's metadata keys (@nestjs/common/constants), stable since Nest 6.
const GUARDS = "__guards__";
const INTERCEPTORS = "__interceptors__";
const HTTP_CODE = "__httpCode__";
const ROUTE_METHOD = "method";
const ROUTE_PATH = "path";

type Wrapper = ReturnType<DiscoveryService["getProviders"]>[number];
const isGeminiGuard = (g: unknown) =>
  g === GeminiWebhookGuard || g instanceof GeminiWebhookGuard || (typeof g === "function" && g.prototype instanceof GeminiWebhookGuard);

/**
 * Finds, at startup, (1) the routes guarded by GeminiWebhookGuard, to give them the interceptor that
 * completes or releases the claim and a 200 status (unless they set @HttpCode), and (2) the provider
 * methods decorated with @OnGeminiEvent, which it registers on the module's receiver.
 */
@Injectable()
export class GeminiWebhooksExplorer implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger("GeminiWebhooks");
  private readonly disposers: Array<() => void> = [];

  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
    @Inject(GEMINI_WEBHOOKS) private readonly webhooks: GeminiWebhooks<any>,
  ) {
    // Routes are created from their metadata in app.init(), after every provider is constructed: patch now.
    let guarded = 0;
    for (const wrapper of this.discovery.getControllers()) guarded += this.patchGuardedRoutes(wrapper);
    // An app that receives only on its own guarded route (no @OnGeminiEvent method, no `on` handler) gets no
    // second endpoint: the module's own route on the default path is not mapped (a path given explicitly is kept).
    if (guarded > 0 && !this.hasHandlers()) for (const wrapper of this.discovery.getControllers()) this.unmapOwnRoute(wrapper);
  }

  /** Whether anything would run on the module's own route: an @OnGeminiEvent method, or a handler in `on`. */
  private hasHandlers(): boolean {
    if (["*", ...GEMINI_EVENT_TYPES].some((t) => this.webhooks.hasHandlers(t))) return true;
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const type = wrapper.metatype as (Function & { prototype: Record<string, object> }) | null;
      if (typeof type !== "function" || !type.prototype) continue;
      for (const name of this.scanner.getAllMethodNames(type.prototype)) {
        if (Reflect.hasMetadata(ON_GEMINI_EVENT, type.prototype[name]!)) return true;
      }
    }
    return false;
  }

  private unmapOwnRoute(wrapper: Wrapper): void {
    const type = wrapper.metatype as (Function & { prototype: Record<string, object> }) | null;
    const own = typeof type === "function" ? (Reflect.getMetadata(OWN_CONTROLLER, type) as { path: string; explicitPath: boolean } | undefined) : undefined;
    if (!type || !own || own.explicitPath) return;
    const receive = type.prototype.receive;
    if (receive && Reflect.hasMetadata(ROUTE_PATH, receive)) {
      Reflect.deleteMetadata(ROUTE_PATH, receive);
      this.logger.log(`GeminiWebhookGuard routes found: the module's own route /${own.path} is not mapped (give the module a path to keep it).`);
    }
  }

  /** Gives each route guarded by GeminiWebhookGuard the interceptor and a 200 status; returns how many it found. */
  private patchGuardedRoutes(wrapper: Wrapper): number {
    const type = wrapper.metatype as (Function & { prototype: object }) | null;
    if (typeof type !== "function" || !type.prototype) return 0;
    let found = 0;
    const classGuarded = ((Reflect.getMetadata(GUARDS, type) ?? []) as unknown[]).some(isGeminiGuard);
    for (const name of this.scanner.getAllMethodNames(type.prototype)) {
      const fn = (type.prototype as Record<string, object>)[name]!;
      if (!Reflect.hasMetadata(ROUTE_METHOD, fn)) continue;
      if (!classGuarded && !((Reflect.getMetadata(GUARDS, fn) ?? []) as unknown[]).some(isGeminiGuard)) continue;
      found++;
      const interceptors = (Reflect.getMetadata(INTERCEPTORS, fn) ?? []) as unknown[];
      if (interceptors.includes(geminiWebhookInterceptor)) continue;
      Reflect.defineMetadata(INTERCEPTORS, [geminiWebhookInterceptor, ...interceptors], fn);
      if (!Reflect.hasMetadata(HTTP_CODE, fn)) Reflect.defineMetadata(HTTP_CODE, 200, fn);
    }
    return found;
  }

  onModuleInit(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance = wrapper.instance as Record<string, (event: unknown, ctx: WebhookContext) => unknown> | undefined;
      if (!instance || typeof instance !== "object") continue;
      const proto = Object.getPrototypeOf(instance) as object | null;
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const types = Reflect.getMetadata(ON_GEMINI_EVENT, instance[name]!) as string[] | undefined;
        if (!types) continue;
        if (!wrapper.isDependencyTreeStatic()) {
          this.logger.warn(`@OnGeminiEvent on ${wrapper.name}.${name} is ignored: the provider is request-scoped.`);
          continue;
        }
        for (const t of types) {
          this.disposers.push(this.webhooks.on(t as "*", (event, ctx) => instance[name]!(event, ctx)));
        }
      }
    }
  }

  onModuleDestroy(): void {
    for (const dispose of this.disposers.splice(0)) dispose();
  }
}
