import type { Socket } from 'node:net';
import { buildConnector } from 'undici';

const COUNTER = Symbol('rtbench.wire.counter');
type CountedSocket = Socket & { [COUNTER]?: WireCounter };

function untrack(this: Socket): void {
  (this as CountedSocket)[COUNTER]?.closed(this);
}

/**
 * Counts bytes at the socket (headers, framing and TLS included), for every socket a driver
 * session opens: closed sockets add their final counts, open ones are read live.
 */
export class WireCounter {
  private closedIn = 0;
  private closedOut = 0;
  private readonly live = new Set<Socket>();

  /**
   * Counts `socket` from now on. `listen` false: the caller's own 'close' listener calls
   * `closed(socket)` (a second 'close' listener costs an array of ~176 B per socket).
   */
  track(socket: Socket, listen = true): void {
    if (this.live.has(socket)) return;
    this.live.add(socket);
    if (!listen) return;
    // One shared listener and the counter on the socket: a closure and a once() wrapper per socket
    // cost about 250 B of heap, a quarter of the socket's own (heap snapshot of 2,000 SSE clients).
    (socket as CountedSocket)[COUNTER] = this;
    socket.on('close', untrack);
  }

  /** A tracked socket closed: its final counts join the closed totals. */
  closed(socket: Socket): void {
    if (!this.live.delete(socket)) return;
    this.closedIn += socket.bytesRead;
    this.closedOut += socket.bytesWritten;
  }

  /**
   * Ends every open socket with a TCP reset instead of a FIN. A closing side that sends FIN keeps
   * the port in TIME_WAIT for 60 s; after a phase of 20,000 clients that is most of a source
   * address's ephemeral ports, and the next phase's connects crawl while the kernel searches for
   * free ones. Only for the end of a run, when nothing is in flight that matters.
   */
  resetAll(): void {
    for (const s of this.live) {
      // A socket already shutting down (ended, e.g. by net after the peer's FIN) cannot be reset:
      // libuv refuses, the reset's error is only emitted, and the handle would never close.
      if (s.writableEnded) {
        s.destroy();
        continue;
      }
      try {
        s.resetAndDestroy();
      } catch {
        s.destroy();
      }
    }
  }

  totals(): { in: number; out: number } {
    let i = this.closedIn;
    let o = this.closedOut;
    for (const s of this.live) {
      i += s.bytesRead;
      o += s.bytesWritten;
    }
    return { in: i, out: o };
  }
}

type Connector = ReturnType<typeof buildConnector>;

/**
 * An undici connector that registers each new socket with `counter`, binds a source address if
 * given, and tells `onSocket` about each connected socket.
 */
export function countingConnector(
  counter: WireCounter,
  localAddress?: string,
  onSocket?: (s: Socket) => void,
): Connector {
  const base = buildConnector({ keepAlive: true });
  return (opts, callback) =>
    base(localAddress ? { ...opts, localAddress } : opts, (err, socket) => {
      if (!err && socket) {
        counter.track(socket);
        onSocket?.(socket);
      }
      (callback as (e: Error | null, s: Socket | null) => void)(err, socket);
    });
}
