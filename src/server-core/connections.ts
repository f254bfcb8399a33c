import type { Socket } from 'node:net';
/** The protocol a connection serves (a protocol's name), or 'other' (publish, metrics). */
export type ServerProtocol = string;

/**
 * Open sockets per protocol. A keep-alive socket is counted under the protocol of the first
 * request it carried, so a polling client holding one connection counts once.
 */
export class ConnectionRegistry {
  private readonly sockets: Map<ServerProtocol, Set<Socket>>;
  private readonly kindList: ServerProtocol[];

  /** `protocols`: every protocol the server mounts (each is counted, even at zero) */
  constructor(protocols: readonly ServerProtocol[]) {
    this.kindList = [...protocols, 'other'];
    this.sockets = new Map(this.kindList.map((k) => [k, new Set()]));
  }

  private readonly kinds = new WeakMap<Socket, ServerProtocol>();

  tag(socket: Socket, kind: ServerProtocol): void {
    const previous = this.kinds.get(socket);
    if (previous === kind) return;
    if (previous) this.sockets.get(previous)!.delete(socket);
    else socket.once('close', () => this.sockets.get(this.kinds.get(socket)!)?.delete(socket));
    this.kinds.set(socket, kind);
    this.sockets.get(kind)!.add(socket);
  }

  kindOf(socket: Socket): ServerProtocol | undefined {
    return this.kinds.get(socket);
  }

  counts(): Record<ServerProtocol, number> {
    return Object.fromEntries(this.kindList.map((k) => [k, this.sockets.get(k)!.size]));
  }

  /** Bytes written by the server but not yet taken by the kernel, per protocol. */
  buffered(extra: Partial<Record<ServerProtocol, number>> = {}): Record<ServerProtocol, number> {
    const out = {} as Record<ServerProtocol, number>;
    for (const k of this.kindList) {
      let sum = extra[k] ?? 0;
      for (const s of this.sockets.get(k)!) sum += s.writableLength;
      out[k] = sum;
    }
    return out;
  }

  all(): Socket[] {
    return this.kindList.flatMap((k) => [...this.sockets.get(k)!]);
  }

  total(): number {
    let n = 0;
    for (const k of this.kindList) n += this.sockets.get(k)!.size;
    return n;
  }
}
