import { Module, type DynamicModule, type ModuleMetadata, type Provider } from "@nestjs/common";
import { DiscoveryModule } from "@nestjs/core";
import { createGeminiWebhooks, type GeminiWebhooks, type GeminiWebhooksOptions, type UserMetadata } from "@gemini-webhooks/core";
import { isGeminiWebhooks } from "@gemini-webhooks/core/adapter";
import { createWebhookController } from "./controller.js";
import { GeminiWebhooksExplorer } from "./explorer.js";
import { GeminiWebhookGuard } from "./guard.js";
import { GeminiReadTimeout } from "./read-timeout.js";
import { nestLogger } from "./report.js";
import { GEMINI_WEBHOOKS, GEMINI_WEBHOOKS_OPTIONS } from "./tokens.js";

/** Where and how the module registers itself (not passed to core). */
export interface GeminiWebhooksModuleExtras {
  /**
   * Path of the module's controller, which dispatches to @OnGeminiEvent methods. Default "gemini-callback",
   * not mapped when the app receives only on its own GeminiWebhookGuard routes (no @OnGeminiEvent method, no
   * `on` handler); `false`: no controller.
   */
  path?: string | false;
  /** Make the receiver, its token and GeminiWebhookGuard available in every module. Default true. */
  global?: boolean;
  /** Class decorators for the module's controller, e.g. `[Public()]` to let it past a global auth guard. */
  decorators?: ClassDecorator[];
}

/** `forRoot` options: core's options (secret, jwks, on, idempotency, …) plus where to mount. */
export type GeminiWebhooksModuleOptions<M = UserMetadata> = GeminiWebhooksOptions<M> & GeminiWebhooksModuleExtras;

export interface GeminiWebhooksModuleAsyncOptions<M = UserMetadata> extends GeminiWebhooksModuleExtras, Pick<ModuleMetadata, "imports"> {
  /** Builds core's options (or a ready receiver), e.g. from ConfigService. */
  useFactory: (...args: any[]) => GeminiWebhooksOptions<M> | GeminiWebhooks<M> | Promise<GeminiWebhooksOptions<M> | GeminiWebhooks<M>>;
  inject?: any[];
}

export const DEFAULT_PATH = "gemini-callback";

function receiverOf(options: GeminiWebhooksModuleOptions<any> | GeminiWebhooks<any>): GeminiWebhooks<any> {
  if (isGeminiWebhooks(options)) return options;
  if (options === null || typeof options !== "object") return createGeminiWebhooks(options);
  const { path: _path, global: _global, decorators: _decorators, ...core } = options;
  return createGeminiWebhooks({ ...core, logger: core.logger ?? nestLogger() });
}

/**
 * `GeminiWebhooksModule.forRoot({ secret, on })` or `.forRootAsync({ imports, inject, useFactory })`:
 * provides the receiver under GEMINI_WEBHOOKS, registers a controller on `path` that dispatches to the
 * @OnGeminiEvent methods of your providers, and makes GeminiWebhookGuard usable on your own routes.
 * Create the app with `{ rawBody: true }`.
 */
@Module({})
export class GeminiWebhooksModule {
  static forRoot<M = UserMetadata>(options: GeminiWebhooksModuleOptions<M> | GeminiWebhooks<M>, extras: GeminiWebhooksModuleExtras = {}): DynamicModule {
    const own = isGeminiWebhooks(options) ? {} : (options as GeminiWebhooksModuleExtras);
    return build({ provide: GEMINI_WEBHOOKS_OPTIONS, useValue: options }, [], { ...own, ...extras });
  }

  static forRootAsync<M = UserMetadata>(options: GeminiWebhooksModuleAsyncOptions<M>): DynamicModule {
    const provider: Provider = { provide: GEMINI_WEBHOOKS_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] };
    return build(provider, options.imports ?? [], options);
  }
}

function build(options: Provider, imports: NonNullable<ModuleMetadata["imports"]>, extras: GeminiWebhooksModuleExtras): DynamicModule {
  const path = extras.path ?? DEFAULT_PATH;
  return {
    module: GeminiWebhooksModule,
    global: extras.global ?? true,
    imports: [DiscoveryModule, ...imports],
    controllers: path === false ? [] : [createWebhookController(path, extras.decorators, extras.path !== undefined)],
    providers: [
      options,
      { provide: GEMINI_WEBHOOKS, useFactory: receiverOf, inject: [GEMINI_WEBHOOKS_OPTIONS] },
      GeminiWebhooksExplorer,
      GeminiWebhookGuard,
      GeminiReadTimeout,
    ],
    exports: [GEMINI_WEBHOOKS, GEMINI_WEBHOOKS_OPTIONS, GeminiWebhookGuard],
  };
}
