/**
 * The event bus and the SSE client set in process (issue 16): ids, the bounded retention window
 * (count and age) that Last-Event-ID resumes from, the gap report, and the per-client bound that
 * cuts off a client that does not read.
 */
import { describe, expect, test } from "bun:test";
import { SseClients } from "../../src/api/sse-clients.ts";
import { EventBus } from "../../src/events/bus.ts";

/** The stream's chunks as text. */
function textOf(stream: ReadableStream<Uint8Array>) {
  const decoder = new TextDecoder();
  return stream
    .pipeThrough(
      new TransformStream<Uint8Array, string>({
        transform: (chunk, out) => out.enqueue(decoder.decode(chunk, { stream: true })),
      }),
    )
    .getReader();
}

describe("EventBus", () => {
  test("ids increase by one from the boot time x 1000; since() returns what came after an id", () => {
    const bus = new EventBus({ now: () => 1_000 });
    expect(bus.firstId).toBe(1_000_000);
    const a = bus.publish("message.received", "A@Example.com", {});
    const b = bus.publish("message.flags", null, {});
    expect([a.id, b.id]).toEqual([1_000_000, 1_000_001]);
    expect(a.account).toBe("a@example.com");
    expect(bus.since(a.id)).toEqual({ events: [b], gap: false });
    expect(bus.since(b.id)).toEqual({ events: [], gap: false });
    expect(bus.since(bus.firstId - 1)).toEqual({ events: [a, b], gap: false });
  });

  test("past retainedEvents the oldest are evicted, and resuming from before them reports a gap", () => {
    const bus = new EventBus({ limits: { retainedEvents: 3 } });
    const ids = Array.from({ length: 5 }, () => bus.publish("message.received", null, {}).id);
    const replay = bus.since(ids[0]!);
    expect(replay.gap).toBe(true);
    expect(replay.events.map((e) => e.id)).toEqual(ids.slice(2));
    expect(bus.since(ids[1]!)).toMatchObject({ gap: false });
    // An id from an earlier run is below firstId: a gap, never a silent replay.
    expect(bus.since(42).gap).toBe(true);
  });

  test("events older than retentionMs are dropped from the window", () => {
    let now = 1_000_000;
    const bus = new EventBus({ limits: { retentionMs: 60_000 }, now: () => now });
    const old = bus.publish("message.received", null, {});
    now += 61_000;
    const fresh = bus.publish("message.received", null, {});
    expect(bus.since(old.id - 1)).toEqual({ events: [fresh], gap: true });
  });
});

describe("SseClients", () => {
  test("a client that does not read is cut off once its queue passes clientBufferBytes", async () => {
    const bus = new EventBus();
    const clients = new SseClients({ bus, limits: { clientBufferBytes: 4_096 } });
    const stream = clients.open({}, {});
    expect(clients.size).toBe(1);
    const big = "x".repeat(500);
    for (let i = 0; i < 20; i++) bus.publish("message.received", null, { big });
    expect(clients.dropped).toBe(1);
    expect(clients.size).toBe(0);
    expect(bus.subscribers).toBe(0);
    // The stream ends at once: what was queued is discarded, not kept for a reader.
    const reader = textOf(stream);
    let text = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    expect(text).toBe("retry: 2000\n: mailroom events\n\n");
  });

  test("a reading client gets every event, and a heartbeat comment when idle", async () => {
    const bus = new EventBus();
    const clients = new SseClients({ bus, limits: { heartbeatMs: 20 } });
    const reader = textOf(clients.open({ types: ["message.*"] }, {}));
    bus.publish("auth.failed", null, {});
    const e = bus.publish("message.deleted", "a@example.com", { uids: [1] });
    let text = "";
    while (!text.includes(": heartbeat")) text += (await reader.read()).value;
    expect(text).toContain(`id: ${e.id}\nevent: message.deleted\ndata: ${JSON.stringify(e)}\n\n`);
    expect(text).not.toContain("auth.failed");
    await reader.cancel();
    expect(clients.size).toBe(0);
  });

  test("an aborted request leaves the set; past maxClients a new stream is refused", () => {
    const clients = new SseClients({ limits: { maxClients: 2 } });
    const abort = new AbortController();
    clients.open({}, { signal: abort.signal });
    clients.open({}, {});
    expect(() => clients.open({}, {})).toThrow(/2 event streams/);
    abort.abort();
    expect(clients.size).toBe(1);
    clients.open({}, {});
  });
});
