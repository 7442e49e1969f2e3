/**
 * Server-Sent Events from fetch response bodies: `npx fcn jobs watch` follows
 * GET /v1/jobs/{id}/events with it. EventSource is not used because it cannot send the API
 * key header. The WHATWG event-stream format is parsed by eventsource-parser (the demo page
 * uses the same library, vendored); this module only shapes its events.
 */
import { createParser, type EventSourceParser } from "eventsource-parser";

/** One dispatched event. `event` is `message` when the stream named none. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
  retry?: number;
}

/** Feed text in any chunking; get back the events completed by it. */
export class SseParser {
  private readonly parser: EventSourceParser;
  private events: SseEvent[] = [];
  /** The `retry` field of the event being read: it belongs to that event alone. */
  private retry: number | undefined;
  /** The stream's last event ID: an `id` field holds for the events after it (WHATWG), where
   * eventsource-parser reports it only on the event that carried it. */
  private lastId: string | undefined;

  constructor() {
    this.parser = createParser({
      onRetry: (ms) => {
        this.retry = ms;
      },
      onEvent: ({ event, data, id }) => {
        const retry = this.retry;
        this.retry = undefined;
        if (id !== undefined) this.lastId = id;
        this.events.push({
          event: event || "message",
          data,
          ...(this.lastId !== undefined ? { id: this.lastId } : {}),
          ...(retry !== undefined ? { retry } : {}),
        });
      },
    });
  }

  push(chunk: string): SseEvent[] {
    this.parser.feed(chunk);
    const events = this.events;
    this.events = [];
    return events;
  }
}

/** The events of an event-stream body, as they arrive; ends with the stream. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    yield* parser.push(`${decoder.decode()}\n\n`); // a last event without its blank line
  } finally {
    // Leaving early (break, an error) cancels the stream: the server stops at once.
    await reader.cancel().catch(() => {});
  }
}
