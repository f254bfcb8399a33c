import type { ReadThrottle } from '../../src/protocols/read-throttle.js';

const FIELDS = new Set(['data', 'id', 'event', 'retry']);
/** A partial line longer than this is not kept for checking (the parser still gets every byte). */
const MAX_CARRY = 64 * 1024;

/**
 * Wraps an SSE response body: reads from it only while the throttle allows (so a slow client's
 * socket really stops being read and the server's buffers fill), and reports lines that are
 * neither a known field, a comment nor blank (a malformed stream).
 */
export function tapSseBody(
  body: ReadableStream<Uint8Array>,
  throttle: ReadThrottle | null,
  onMalformedLine: () => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let carry = '';
  const check = (text: string) => {
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf('\n', start)) !== -1) {
      let line = text.slice(start, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line !== '' && line[0] !== ':') {
        const colon = line.indexOf(':');
        if (!FIELDS.has(colon === -1 ? line : line.slice(0, colon))) onMalformedLine();
      }
      start = nl + 1;
    }
    carry = text.length - start > MAX_CARRY ? '' : text.slice(start);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const wait = throttle?.whenOpen();
        if (wait) await wait;
        const { done, value } = await reader.read();
        if (done) return controller.close();
        check(carry + decoder.decode(value, { stream: true }));
        throttle?.consumed(value.byteLength);
        controller.enqueue(value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    // Pull nothing ahead: while the consumer waits, undici stops reading the socket.
    { highWaterMark: 0 },
  );
}
