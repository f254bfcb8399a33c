/**
 * Reads the server-to-client half of a WebSocket (RFC 6455 §5) from raw socket bytes: frames
 * with 7, 16 or 64-bit lengths, unmasked (a server never masks), text, binary and continuation
 * frames reassembled into messages, and the control frames ping, pong and close. No extension is
 * ever negotiated, so a reserved bit set is an error, as is an unknown opcode.
 *
 * Memory is the point. Between reads the reader holds nothing but the bytes of an unfinished
 * frame (or of an unfinished fragmented message), always copied: the chunk it was given may be a
 * shared read buffer that the next read overwrites. A message that lies whole inside one chunk is
 * handed on as a view of that chunk, never copied.
 */

/** What a FrameReader reports to; the connection implements it, so there is no closure per reader. */
export interface FrameSink {
  /** One whole message. `data` may be a view of the chunk being read: use it now, never keep it. */
  onMessage(data: Buffer, binary: boolean): void;
  /** A ping: answer with a pong carrying `payload` (a view, valid during the call). */
  onPing(payload: Buffer): void;
  /** The server's close frame, with its status code (1005 when the frame carried none). */
  onClose(code: number): void;
  /** The stream broke the protocol or a bound: `kind` for the results, `code` for the close frame to answer with. */
  onFrameError(kind: FrameErrorKind, code: number): void;
}

export type FrameErrorKind = 'ws-protocol-error' | 'ws-message-too-big' | 'ws-too-many-fragments';

/** The largest message a client reassembles unless DriverOptions.limits says otherwise. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/**
 * The most frames one message may come in. The size bound alone would let a server send empty
 * fragments forever, each one an array slot and a Buffer object the client keeps.
 */
export const DEFAULT_MAX_FRAGMENTS = 1024;

const PROTOCOL_ERROR = 1002;
const TOO_BIG = 1009;
const OP_CONTINUATION = 0x0;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;
const FIN = 0x80;

/** Close codes a peer may send (as `ws` accepts them): 1004–1006 and 1015 are reserved for local use. */
export function isValidCloseCode(code: number): boolean {
  if (code >= 3000) return code <= 4999;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}

export class FrameReader {
  /** the first bytes of a frame header cut by the end of a chunk (at most 13) */
  private head: Buffer | null = null;
  /**
   * The payload so far of a frame cut by the end of a chunk: `partial` holds `filled` of its
   * `partialLength` bytes and grows by doubling, so memory follows the bytes received, not the
   * length announced, and a payload trickled in tiny reads is not one Buffer object per read.
   */
  private partial: Buffer | null = null;
  private filled = 0;
  private partialLength = 0;
  /** that frame's first header byte (FIN and opcode) */
  private partialB0 = 0;
  /** the frames so far of a fragmented message, their bytes, and whether the message is binary */
  private fragments: Buffer[] | null = null;
  private fragmentBytes = 0;
  private fragmentsBinary = false;
  private stopped = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
    private readonly maxFragments = DEFAULT_MAX_FRAGMENTS,
  ) {}

  /** Reads one chunk. False once the reader stopped (a close frame, an error, or stop()): feed it no more. */
  feed(chunk: Buffer): boolean {
    if (this.stopped) return false;
    let buf = chunk;
    let at = 0;
    if (this.head !== null) {
      buf = Buffer.concat([this.head, chunk]);
      this.head = null;
    } else if (this.partial !== null) {
      at = Math.min(this.partialLength - this.filled, buf.length);
      this.append(buf.subarray(0, at));
      if (this.filled < this.partialLength) return true;
      const payload = this.partial.subarray(0, this.filled);
      this.partial = null;
      if (!this.frame(this.partialB0, payload, true)) return false;
    }
    while (at < buf.length) {
      const available = buf.length - at;
      if (available < 2) return this.keepHead(buf, at);
      const b0 = buf[at];
      const b1 = buf[at + 1];
      // RSV1–3 belong to extensions, and none was negotiated; a server must not mask its frames.
      if ((b0 & 0x70) !== 0 || (b1 & 0x80) !== 0) return this.fail('ws-protocol-error', PROTOCOL_ERROR);
      let length = b1 & 0x7f;
      const headerBytes = length === 126 ? 4 : length === 127 ? 10 : 2;
      if (available < headerBytes) return this.keepHead(buf, at);
      if (length === 126) length = buf.readUInt16BE(at + 2);
      // Above 2^53 the sum is inexact, but it is only ever compared with a limit far below that.
      else if (length === 127) length = buf.readUInt32BE(at + 2) * 2 ** 32 + buf.readUInt32BE(at + 6);
      const problem = this.check(b0, length);
      if (problem !== null) return this.fail(problem, problem === 'ws-protocol-error' ? PROTOCOL_ERROR : TOO_BIG);
      at += headerBytes;
      if (buf.length - at < length) {
        // Decided from the header alone, before a byte is kept: `length` is within the bounds.
        this.partial = Buffer.allocUnsafe(Math.min(length, Math.max(buf.length - at, 1024)));
        this.filled = 0;
        this.partialLength = length;
        this.partialB0 = b0;
        this.append(buf.subarray(at));
        return true;
      }
      const payload = buf.subarray(at, at + length);
      at += length;
      if (!this.frame(b0, payload, false)) return false;
    }
    return true;
  }

  /** Drops whatever is held and ignores all further bytes. */
  stop(): void {
    this.stopped = true;
    this.head = null;
    this.partial = null;
    this.fragments = null;
  }

  /** Why a frame with first byte `b0` and `length` payload bytes may not be read, or null. */
  private check(b0: number, length: number): FrameErrorKind | null {
    const opcode = b0 & 0x0f;
    if (opcode >= OP_CLOSE) {
      // Control frames are never fragmented and carry at most 125 bytes (§5.5).
      if (opcode > OP_PONG || (b0 & FIN) === 0 || length > 125) return 'ws-protocol-error';
      return null;
    }
    if (opcode > OP_BINARY) return 'ws-protocol-error'; // 3–7 are reserved
    // A continuation needs a message to continue; a new message may not start inside one.
    if ((opcode === OP_CONTINUATION) !== (this.fragments !== null)) return 'ws-protocol-error';
    if (this.fragmentBytes + length > this.maxMessageBytes) return 'ws-message-too-big';
    if (this.fragments !== null && this.fragments.length >= this.maxFragments) return 'ws-too-many-fragments';
    return null;
  }

  /** Acts on one whole frame (`owned`: its payload is no view of the caller's chunk); false once stopped. */
  private frame(b0: number, payload: Buffer, owned: boolean): boolean {
    const opcode = b0 & 0x0f;
    const fin = (b0 & FIN) !== 0;
    switch (opcode) {
      case OP_CONTINUATION: {
        const fragments = this.fragments!;
        fragments.push(fin || owned ? payload : Buffer.from(payload));
        this.fragmentBytes += payload.length;
        if (!fin) return true;
        const message = Buffer.concat(fragments, this.fragmentBytes);
        this.fragments = null;
        this.fragmentBytes = 0;
        this.sink.onMessage(message, this.fragmentsBinary);
        return !this.stopped;
      }
      case OP_CLOSE: {
        if (payload.length === 1) return this.fail('ws-protocol-error', PROTOCOL_ERROR);
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        if (payload.length >= 2 && !isValidCloseCode(code)) return this.fail('ws-protocol-error', PROTOCOL_ERROR);
        this.stop();
        this.sink.onClose(code);
        return false;
      }
      case OP_PING:
        this.sink.onPing(payload);
        return !this.stopped;
      case OP_PONG:
        return true; // this client sends no pings: an unasked-for pong is a heartbeat, ignored (§5.5.3)
      default: // text or binary
        if (fin) {
          this.sink.onMessage(payload, opcode === OP_BINARY);
          return !this.stopped;
        }
        this.fragments = [owned ? payload : Buffer.from(payload)];
        this.fragmentBytes = payload.length;
        this.fragmentsBinary = opcode === OP_BINARY;
        return true;
    }
  }

  /** Copies `bytes` into `partial`, doubling it (up to the frame's length) when they do not fit. */
  private append(bytes: Buffer): void {
    let partial = this.partial!;
    const needed = this.filled + bytes.length;
    if (needed > partial.length) {
      partial = Buffer.allocUnsafe(Math.min(this.partialLength, Math.max(needed, 2 * partial.length)));
      this.partial!.copy(partial, 0, 0, this.filled);
      this.partial = partial;
    }
    bytes.copy(partial, this.filled);
    this.filled = needed;
  }

  private keepHead(buf: Buffer, at: number): true {
    this.head = Buffer.from(buf.subarray(at));
    return true;
  }

  private fail(kind: FrameErrorKind, code: number): false {
    this.stop();
    this.sink.onFrameError(kind, code);
    return false;
  }
}
