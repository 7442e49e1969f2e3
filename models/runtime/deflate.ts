/**
 * zlib-format deflate (RFC 1950) of a sequence of blocks through the platform's
 * `CompressionStream("deflate")`: native zlib in workerd and in Node, the same in every tier.
 *
 * Why not a JavaScript deflate: fflate 0.8.3's streaming `Zlib`, fed block by block, emits
 * back-references further than its window on some inputs (fflate issue #260), which zlib,
 * browsers and PIL refuse ("invalid distance too far back"), and fflate's own inflate does not
 * notice. The platform's zlib is the reference implementation.
 */
import { concat } from "./bytes.ts";

/**
 * Deflate `blocks` in order. Each block is handed to the stream as is and must not be
 * modified afterwards (the compressor reads it later); backpressure keeps only a block or two
 * in flight, so the caller can produce them lazily and memory stays at one block plus the
 * compressed output.
 */
export async function deflate(blocks: Iterable<Uint8Array<ArrayBuffer>>): Promise<Uint8Array> {
  const stream = new CompressionStream("deflate");
  const writer = stream.writable.getWriter();
  const compressed: Uint8Array[] = [];
  const reading = (async () => {
    const reader = stream.readable.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      compressed.push(value);
    }
  })();
  try {
    for (const block of blocks) {
      await writer.ready;
      // A failed write also rejects `ready` and `close`, which are awaited: no need to here.
      writer.write(block).catch(() => {});
    }
    await writer.close();
  } catch (error) {
    reading.catch(() => {}); // the reader fails with the same error
    throw error;
  }
  await reading;
  return concat(compressed);
}
