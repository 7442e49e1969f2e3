/**
 * A small Server-Sent Events reader (the WHATWG event-stream format) for fetch response
 * bodies: `npx fcn jobs watch` follows GET /v1/jobs/{id}/events with it. EventSource is not
 * used because it cannot send the API key header.
 */

/** One dispatched event. `event` is `message` when the stream named none. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
  retry?: number;
}

/** Feed text in any chunking; get back the events completed by it. */
export class SseParser {
  private buffer = "";
  private data: string[] = [];
  private event = "";
  private id: string | undefined;
  private retry: number | undefined;

  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const events: SseEvent[] = [];
    for (;;) {
      const end = this.buffer.search(/\r\n|\r|\n/);
      // A lone \r at the end may be the first half of \r\n: wait for the next chunk.
      if (end < 0 || (end === this.buffer.length - 1 && this.buffer[end] === "\r")) break;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + (this.buffer.startsWith("\r\n", end) ? 2 : 1));
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === "") return this.dispatch();
    if (line.startsWith(":")) return undefined; // a comment (heartbeat)
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.id = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retry = Number(value);
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const { data, event, id, retry } = this;
    this.data = [];
    this.event = "";
    this.retry = undefined;
    if (data.length === 0) return undefined;
    return {
      event: event || "message",
      data: data.join("\n"),
      ...(id !== undefined ? { id } : {}),
      ...(retry !== undefined ? { retry } : {}),
    };
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
