import { errors, type Client, type Dispatcher } from 'undici';
import type { HeaderLookup } from '../../src/protocols/http-cursor.js';
import type { ReadThrottle } from '../../src/protocols/read-throttle.js';

const EMPTY = Buffer.alloc(0);

/** Who learns that an answer is complete (err null) or that its request failed. */
export interface AnswerSink {
  answered(answer: AnswerHandler, err: Error | null): void;
}

/**
 * One client's reusable undici dispatch handler: it sends one GET at a time and collects the
 * answer's status, raw headers and body chunks (Buffers, never decoded here), then tells its sink.
 *
 * `client.request()` allocates a Readable body stream, an abort listener, a parsed header object
 * and several promises for every request; at max-rate polling that is most of a request's cost on
 * the client side. Here nothing is allocated per request beyond what undici's own Request needs:
 * headers stay raw until a caller asks for one, and the body is one of the chunks as received.
 *
 * Implements undici's handler callbacks onConnect / onHeaders / onData / onComplete / onError,
 * which undici 7 passes to a handler as is (the newer onRequestStart… form is adapted with a
 * wrapper object per request).
 *
 * A slow reader (`throttle`) accounts each chunk and, while its throttle is closed, returns false
 * from onData: undici pauses the parser and the socket stops being read until the throttle opens,
 * so the server's send buffers fill as they would against a slow client.
 */
export class AnswerHandler implements Dispatcher.DispatchHandler, HeaderLookup {
  /** status of the current answer (0 until its headers arrived) */
  statusCode = 0;
  private rawHeaders: Buffer[] | null = null;
  private readonly chunks: Buffer[] = [];
  private abortRequest: ((err?: Error) => void) | null = null;
  private resumeReading: (() => void) | null = null;
  private inFlight = false;
  private cancelled = false;
  /** one options object for every request: undici copies what it needs into its Request */
  private readonly options: Dispatcher.DispatchOptions = { path: '/', method: 'GET', headers: {} };
  private readonly resumeWhenOpen = (): void => {
    const resume = this.resumeReading;
    if (!this.inFlight || !resume) return;
    try {
      resume();
    } catch {
      // the connection went away meanwhile; its error reaches onError
    }
  };

  constructor(
    private readonly sink: AnswerSink,
    private readonly throttle: ReadThrottle | null = null,
  ) {}

  /** Sends GET `path` on `client`; the sink hears about it once, when it completed or failed. */
  ask(client: Client, path: string, headers: Record<string, string>): void {
    this.statusCode = 0;
    this.rawHeaders = null;
    this.chunks.length = 0;
    this.inFlight = true;
    this.options.path = path;
    this.options.headers = headers;
    // Errors, even synchronous ones (a destroyed client), arrive through onError.
    client.dispatch(this.options, this);
  }

  /** Aborts the request in flight, if any, and any later one at its start. */
  cancel(): void {
    this.cancelled = true;
    this.abortRequest?.(new errors.RequestAbortedError());
  }

  /** The answer's body: the single chunk as received, or the chunks joined. */
  body(): Buffer {
    const c = this.chunks;
    return c.length === 1 ? c[0] : c.length === 0 ? EMPTY : Buffer.concat(c);
  }

  /** The first response header called `name` (lower case), decoded; undefined when absent. */
  header(name: string): string | undefined {
    const h = this.rawHeaders;
    if (!h) return undefined;
    const n = name.length;
    for (let i = 0; i < h.length; i += 2) {
      const key = h[i];
      if (key.length !== n) continue;
      let same = true;
      for (let j = 0; j < n; j++) {
        // ASCII lower-casing: header names are tokens
        const c = key[j];
        if ((c >= 65 && c <= 90 ? c + 32 : c) !== name.charCodeAt(j)) {
          same = false;
          break;
        }
      }
      if (same) return h[i + 1].toString('latin1');
    }
    return undefined;
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.cancelled) abort(new errors.RequestAbortedError());
    else this.abortRequest = abort;
  }

  onHeaders(statusCode: number, headers: Buffer[], resume: () => void): boolean {
    this.statusCode = statusCode;
    this.rawHeaders = headers;
    this.resumeReading = resume;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    const throttle = this.throttle;
    if (throttle === null) return true;
    throttle.consumed(chunk.length);
    const wait = throttle.whenOpen();
    if (wait === null) return true;
    void wait.then(this.resumeWhenOpen);
    return false;
  }

  onComplete(): void {
    this.finish(null);
  }

  onError(err: Error): void {
    this.finish(err);
  }

  private finish(err: Error | null): void {
    if (!this.inFlight) return;
    this.inFlight = false;
    this.abortRequest = null;
    this.resumeReading = null;
    this.sink.answered(this, err);
  }
}
