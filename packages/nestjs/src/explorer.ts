import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from "@nestjs/common";
import { DiscoveryService, MetadataScanner } from "@nestjs/core";
import type { GeminiWebhooks, WebhookContext } from "@gemini-webhooks/core";
import { GeminiWebhookGuard } from "./guard.js";
import { geminiWebhookInterceptor } from "./interceptor.js";
import { GEMINI_WEBHOOKS, ON_GEMINI_EVENT } from "./tokens.js";

// Nest's metadata keys (@nestjs/common/constants), stable since Nest 6.
const GUARDS = "__guards__";
const INTERCEPTORS = "__interceptors__";
const HTTP_CODE = "__httpCode__";
const ROUTE_METHOD = "method";

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
    for (const wrapper of this.discovery.getControllers()) this.patchGuardedRoutes(wrapper);
  }

  private patchGuardedRoutes(wrapper: Wrapper): void {
    const type = wrapper.metatype as (Function & { prototype: object }) | null;
    if (typeof type !== "function" || !type.prototype) return;
    const classGuarded = ((Reflect.getMetadata(GUARDS, type) ?? []) as unknown[]).some(isGeminiGuard);
    for (const name of this.scanner.getAllMethodNames(type.prototype)) {
      const fn = (type.prototype as Record<string, object>)[name]!;
      if (!Reflect.hasMetadata(ROUTE_METHOD, fn)) continue;
      if (!classGuarded && !((Reflect.getMetadata(GUARDS, fn) ?? []) as unknown[]).some(isGeminiGuard)) continue;
      const interceptors = (Reflect.getMetadata(INTERCEPTORS, fn) ?? []) as unknown[];
      if (interceptors.includes(geminiWebhookInterceptor)) continue;
      Reflect.defineMetadata(INTERCEPTORS, [geminiWebhookInterceptor, ...interceptors], fn);
      if (!Reflect.hasMetadata(HTTP_CODE, fn)) Reflect.defineMetadata(HTTP_CODE, 200, fn);
    }
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
