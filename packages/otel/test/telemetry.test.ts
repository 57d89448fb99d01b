import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { context, SpanKind, SpanStatusCode, trace, type Tracer } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type DataPoint, type Histogram } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import express from "express";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createGeminiWebhooks, type GeminiWebhooksOptions } from "@gemini-webhooks/core";
import { geminiWebhooks } from "@gemini-webhooks/express";
import { ATTR, geminiTelemetry, METRIC_DELIVERIES, METRIC_HANDLER_DURATION } from "@gemini-webhooks/otel";
import { createSender, fixture, generateSecret, signStatic } from "@gemini-webhooks/testing";

// @gemini-webhooks/otel with the real OpenTelemetry SDK: in-memory span and metric exporters, and the
// AsyncLocalStorage context manager (what NodeSDK installs), against real createGeminiWebhooks deliveries.
const SECRET = generateSecret();
const OTHER = generateSecret();
const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const tracer = tracerProvider.getTracer("test");
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
const meterProvider = new MeterProvider({ readers: [reader] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(async () => {
  context.disable();
  await meterProvider.shutdown();
  await tracerProvider.shutdown();
});

/** A receiver with its own meter (so each test counts from zero) and the shared tracer. */
function receiver(options: Partial<GeminiWebhooksOptions> = {}, t: Tracer = tracer) {
  const meter = meterProvider.getMeter(`test-${Math.random()}`);
  return {
    webhooks: createGeminiWebhooks({ secret: [OTHER, SECRET], logger: false, hooks: geminiTelemetry({ tracer: t, meter }), ...options } as GeminiWebhooksOptions),
  };
}

const signed = (event: unknown, id?: string, secret = SECRET) => signStatic({ event, secret, ...(id ? { id } : {}) });
const finished = () => spans.getFinishedSpans();
const byName = (name: string) => finished().filter((s) => s.name === name);
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

async function collect() {
  metricExporter.reset();
  await reader.forceFlush();
  const metrics = metricExporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics));
  const points = (name: string) => metrics.filter((m) => m.descriptor.name === name).flatMap((m) => m.dataPoints as DataPoint<unknown>[]);
  return { metrics, points };
}

beforeEach(() => spans.reset());

describe("geminiTelemetry", () => {
  it("received: one span with the delivery's attributes; handler spans are children and user spans nest in them", async () => {
    const { webhooks } = receiver({
      on: {
        "batch.succeeded": async function saveResults() {
          await tracer.startActiveSpan("db.insert", async (s) => {
            await new Promise((r) => setImmediate(r));
            s.end();
          });
        },
        "*": function audit() {},
      },
    });
    const d = signed(fixture("batch.succeeded"), "msg_ok");
    const result = await webhooks.handle(d);
    expect(result.body).toEqual({ status: "received" });
    const [delivery] = byName("gemini.webhook batch.succeeded");
    expect(delivery).toBeDefined();
    expect(delivery!.kind).toBe(SpanKind.INTERNAL);
    expect(delivery!.attributes).toEqual({
      [ATTR.id]: "msg_ok",
      [ATTR.eventType]: "batch.succeeded",
      [ATTR.scheme]: "v1",
      [ATTR.secretIndex]: 1,
      [ATTR.outcome]: "received",
    });
    expect(delivery!.status.code).toBe(SpanStatusCode.UNSET);
    const handlers = byName("gemini.webhook.handler").sort((a, b) => Number(a.attributes[ATTR.handlerIndex]) - Number(b.attributes[ATTR.handlerIndex]));
    expect(handlers.map((h) => [h.attributes[ATTR.handlerName], h.attributes[ATTR.handlerIndex], parentOf(h)])).toEqual([
      ["saveResults", 0, delivery!.spanContext().spanId],
      ["audit", 1, delivery!.spanContext().spanId],
    ]);
    const [db] = byName("db.insert");
    expect(parentOf(db!)).toBe(handlers[0]!.spanContext().spanId);
    expect(new Set(finished().map((s) => s.spanContext().traceId)).size).toBe(1);
  });

  it("the caller's active span (an HTTP server span) is the delivery span's parent", async () => {
    const { webhooks } = receiver({ on: { "*": () => {} } });
    await tracer.startActiveSpan("POST /gemini-callback", async (http) => {
      await webhooks.handle(signed(fixture("video.generated")));
      http.end();
    });
    const [http] = byName("POST /gemini-callback");
    expect(parentOf(byName("gemini.webhook video.generated")[0]!)).toBe(http!.spanContext().spanId);
  });

  it("duplicate, rejected and handler_failed: the outcome, the status, and the counter by outcome/scheme/type", async () => {
    let fail = true;
    const { webhooks } = receiver({
      on: {
        "batch.failed": function notify() {
          if (fail) throw new TypeError("mailer down");
        },
        "*": () => {},
      },
    });
    const ok = signed(fixture("batch.succeeded"), "msg_1");
    await webhooks.handle(ok);
    await webhooks.handle(signed(fixture("batch.succeeded"), "msg_1")); // duplicate
    await webhooks.handle(signed(fixture("batch.succeeded"), "msg_2", generateSecret())); // forged
    await webhooks.handle({ body: ok.body, headers: { "content-type": "application/json" } }); // no headers
    await webhooks.handle(signed(fixture("batch.failed"), "msg_3")); // handler_failed
    fail = false;
    await webhooks.handle(signed(fixture("batch.failed"), "msg_3")); // Gemini's retry

    const view = finished()
      .filter((s) => s.name.startsWith("gemini.webhook") && s.name !== "gemini.webhook.handler")
      .map((s) => [s.name, s.attributes[ATTR.outcome], s.attributes[ATTR.id] ?? null, s.attributes[ATTR.scheme] ?? null, s.status.code]);
    expect(view).toEqual([
      ["gemini.webhook batch.succeeded", "received", "msg_1", "v1", SpanStatusCode.UNSET],
      ["gemini.webhook batch.succeeded", "duplicate", "msg_1", "v1", SpanStatusCode.UNSET],
      ["gemini.webhook", "signature_mismatch", null, "v1", SpanStatusCode.UNSET],
      ["gemini.webhook", "missing_header", null, null, SpanStatusCode.UNSET],
      ["gemini.webhook batch.failed", "handler_failed", "msg_3", "v1", SpanStatusCode.ERROR],
      ["gemini.webhook batch.failed", "received", "msg_3", "v1", SpanStatusCode.UNSET],
    ]);
    // a duplicate runs no handler; the failed run's span holds the error
    const handlerRuns = byName("gemini.webhook.handler");
    expect(handlerRuns.filter((r) => r.attributes[ATTR.eventType] === "batch.succeeded")).toHaveLength(1);
    const runs = handlerRuns.filter((r) => r.attributes[ATTR.handlerName] === "notify");
    expect(runs.map((r) => [r.attributes[ATTR.id], r.status.code])).toEqual([
      ["msg_3", SpanStatusCode.ERROR],
      ["msg_3", SpanStatusCode.UNSET],
    ]);
    expect(runs[0]!.events.map((e) => [e.name, e.attributes?.["exception.type"], e.attributes?.["exception.message"]])).toEqual([["exception", "TypeError", "mailer down"]]);

    const { points } = await collect();
    const counts = points(METRIC_DELIVERIES).map((p) => [p.attributes[ATTR.outcome], p.attributes[ATTR.scheme] ?? null, p.attributes[ATTR.eventType] ?? null, p.value]);
    expect(counts).toEqual(
      expect.arrayContaining([
        ["received", "v1", "batch.succeeded", 1],
        ["duplicate", "v1", "batch.succeeded", 1],
        ["signature_mismatch", "v1", null, 1],
        ["missing_header", null, null, 1],
        ["handler_failed", "v1", "batch.failed", 1],
        ["received", "v1", "batch.failed", 1],
      ]),
    );
    const durations = points(METRIC_HANDLER_DURATION) as DataPoint<Histogram>[];
    const byOutcome = Object.fromEntries(durations.filter((p) => p.attributes[ATTR.handlerName] === "notify").map((p) => [p.attributes[ATTR.handlerOutcome], p.value.count]));
    expect(byOutcome).toEqual({ ok: 1, error: 1 });
    expect(durations.every((p) => p.value.min! >= 0)).toBe(true);
  });

  it("never puts the payload in an attribute", async () => {
    const marker = "PAYLOAD-MARKER-7f3a";
    const event = { ...fixture("batch.failed"), data: { ...fixture("batch.failed").data, id: `batches/${marker}`, error_message: marker }, user_metadata: { customer: marker } };
    const { webhooks } = receiver({ on: { "*": () => { throw new Error("no"); } } });
    await webhooks.handle(signed(event));
    const { metrics } = await collect();
    const values = [
      ...finished().flatMap((s) => Object.entries(s.attributes)),
      ...metrics.flatMap((m) => (m.dataPoints as DataPoint<unknown>[]).flatMap((p) => Object.entries(p.attributes))),
    ].map(([k, v]) => `${k}=${String(v)}`);
    expect(values.length).toBeGreaterThan(5);
    expect(values.filter((v) => v.includes(marker))).toEqual([]);
    expect(finished().map((s) => s.name).join(" ")).not.toContain(marker);
  });

  it("process() and dead-letter replays are observed too", async () => {
    let down = true;
    const { webhooks } = receiver({ on: { "*": () => { if (down) throw new Error("down"); } } });
    await webhooks.handle(signed(fixture("batch.expired"), "msg_dl"));
    const [entry] = await webhooks.deadLetters.list();
    down = false;
    spans.reset();
    await webhooks.deadLetters.replay(entry!.id);
    await webhooks.process(fixture("batch.cancelled"), { webhookId: "batches/9", scheme: "reconcile" });
    expect(finished().filter((s) => s.name !== "gemini.webhook.handler").map((s) => [s.name, s.attributes[ATTR.id], s.attributes[ATTR.scheme], s.attributes[ATTR.outcome]])).toEqual([
      ["gemini.webhook batch.expired", "msg_dl", "v1", "received"],
      ["gemini.webhook batch.cancelled", "batches/9", "reconcile", "received"],
    ]);
  });

  it("a tracer that throws never changes an answer", async () => {
    const broken = { startSpan() { throw new Error("exporter exploded"); }, startActiveSpan() { throw new Error("exporter exploded"); } } as unknown as Tracer;
    const warnings: string[] = [];
    const runs: string[] = [];
    const webhooks = createGeminiWebhooks({
      secret: SECRET,
      logger: { debug() {}, info() {}, warn: (m: string) => void warnings.push(m), error() {} },
      hooks: geminiTelemetry({ tracer: broken, meter: meterProvider.getMeter("broken") }),
      on: { "*": (_e, ctx) => void runs.push(ctx.webhookId) },
    });
    expect((await webhooks.handle(signed(fixture("batch.succeeded"), "msg_b"))).body).toEqual({ status: "received" });
    expect(runs).toEqual(["msg_b"]);
    expect(warnings.join("\n")).toContain("exporter exploded");
  });

  it("through an adapter over real HTTP: the Express middleware passes hooks on", async () => {
    const app = express();
    const meter = meterProvider.getMeter("express");
    app.post("/gemini-callback", geminiWebhooks({ secret: SECRET, logger: false, hooks: geminiTelemetry({ tracer, meter }), on: { "*": function handle() {} } }));
    const server = createServer(app).listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const report = await createSender({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/gemini-callback`, secret: SECRET, retry: { maxAttempts: 1 } }).send(fixture("interaction.completed"));
      expect(report.delivered).toBe(true);
      const [span] = byName("gemini.webhook interaction.completed");
      expect(span!.attributes).toMatchObject({ [ATTR.id]: report.id, [ATTR.outcome]: "received", [ATTR.secretIndex]: 0 });
      expect(byName("gemini.webhook.handler").map((h) => parentOf(h))).toEqual([span!.spanContext().spanId]);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
