import { describe, expect, it } from "vitest";
import { readSse, SseParser } from "./sse.ts";

const stream = (...chunks: string[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
      controller.close();
    },
  });

describe("the SSE parser", () => {
  it("reads named events with data, id and retry, skipping comments", () => {
    const events = new SseParser().push(
      ': keep-alive\n\nevent: status\ndata: {"a":1}\nid: 7\nretry: 1000\n\nevent: progress\ndata: x\n\n',
    );
    expect(events).toEqual([
      { event: "status", data: '{"a":1}', id: "7", retry: 1000 },
      { event: "progress", data: "x", id: "7" },
    ]);
  });

  it("joins data lines, accepts every line ending, and names an unnamed event `message`", () => {
    expect(new SseParser().push("data: one\r\ndata:two\r\rdata\n\n")).toEqual([
      { event: "message", data: "one\ntwo" },
      { event: "message", data: "" },
    ]);
  });

  it("is indifferent to chunking, also between \\r and \\n", () => {
    const text = 'event: status\r\ndata: {"id":"job_1"}\r\n\r\nevent: progress\r\ndata: 2\r\n\r\n';
    const whole = new SseParser().push(text);
    const parser = new SseParser();
    const pieces = [...text].flatMap((ch) => parser.push(ch));
    expect(pieces).toEqual(whole);
    expect(whole.map((e) => e.event)).toEqual(["status", "progress"]);
  });

  it("reads a body as it streams, and a last event without its blank line", async () => {
    const seen = [];
    for await (const e of readSse(stream("event: status\nda", "ta: 1\n\n", "event: status\ndata: 2")))
      seen.push(e);
    expect(seen).toEqual([
      { event: "status", data: "1" },
      { event: "status", data: "2" },
    ]);
  });

  it("cancels the body when the reader stops early", async () => {
    let canceled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode("data: tick\n\n"));
      },
      cancel() {
        canceled = true;
      },
    });
    for await (const e of readSse(body)) {
      expect(e.data).toBe("tick");
      break;
    }
    expect(canceled).toBe(true);
  });
});
