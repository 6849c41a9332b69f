/**
 * A Server-Sent Events reader over fetch() (Bun has no global EventSource): parses the stream as the
 * HTML standard's event-stream grammar says (fields, blank line ends an event, `:` comments) and lets
 * a test wait for the event it expects, with a deadline, instead of sleeping.
 */

export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

export interface SseReader {
  response: Response;
  /** Every event received so far, in order. */
  events: SseEvent[];
  /** Comment lines received so far (heartbeats). */
  comments: string[];
  /** The first event not yet taken by next() that passes `match`, waiting up to `timeoutMs`. */
  next(match?: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  /** Resolves when a comment line passing `match` has arrived. */
  comment(match: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves when the server ended the stream (or it failed). */
  ended: Promise<void>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let taken = 0;
  const wakers = new Set<() => void>();
  const wake = () => {
    for (const w of [...wakers]) w();
  };
  let done = false;
  const ended = (async () => {
    if (!response.body || !response.ok) return;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let current: SseEvent = { id: undefined, event: "message", data: "" };
    let hasData = false;
    try {
      for (;;) {
        const { value, done: finished } = await reader.read();
        if (finished) break;
        buffer += value;
        let nl = buffer.indexOf("\n");
        while (nl >= 0) {
          const line = buffer.slice(0, nl).replace(/\r$/, "");
          buffer = buffer.slice(nl + 1);
          nl = buffer.indexOf("\n");
          if (line === "") {
            if (hasData) events.push(current);
            current = { id: current.id, event: "message", data: "" };
            hasData = false;
            wake();
            continue;
          }
          if (line.startsWith(":")) {
            comments.push(line.slice(1).trim());
            wake();
            continue;
          }
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "id") current.id = value;
          else if (field === "event") current.event = value;
          else if (field === "data") {
            current.data = hasData ? `${current.data}\n${value}` : value;
            hasData = true;
          }
        }
      }
    } catch {
      // Aborted by close(), or the server cut the stream.
    } finally {
      done = true;
      wake();
    }
  })();

  function waitFor<T>(find: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found !== undefined) {
          finish();
          resolve(found);
        } else if (done) {
          finish();
          reject(new Error(`the stream ended before ${what}; events: ${JSON.stringify(events)}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no ${what} within ${timeoutMs} ms; events: ${JSON.stringify(events)}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        wakers.delete(check);
      };
      wakers.add(check);
      check();
    });
  }

  return {
    response,
    events,
    comments,
    next(match = () => true, timeoutMs = 10_000) {
      return waitFor(
        () => {
          for (let i = taken; i < events.length; i++) {
            if (match(events[i]!)) {
              taken = i + 1;
              return events[i]!;
            }
          }
          return undefined;
        },
        "matching event",
        timeoutMs,
      );
    },
    comment(match, timeoutMs = 10_000) {
      return waitFor(() => comments.find(match), "matching comment", timeoutMs);
    },
    ended,
    close() {
      abort.abort();
    },
  };
}

/** The JSON of an event's data. */
export function dataOf(e: SseEvent): {
  id: number;
  type: string;
  account: string | null;
  data: Record<string, unknown>;
} {
  return JSON.parse(e.data);
}
