import { Agent as HttpAgent, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import { tlsTrustOptions, type TlsTrust } from '../tls-trust.js';
import type { WireCounter } from '../wire.js';

/**
 * The agent a Socket.IO client's polling requests and WebSocket upgrade go through (engine.io-client
 * hands `agent` to both): every socket it opens is counted on the session's wire counter, and it
 * counts its requests and bytes, which is what the polling → WebSocket upgrade costs a client.
 */
export class CountingAgent {
  readonly agent: HttpAgent;
  /** HTTP requests made through this agent (polls, posts, the upgrade's handshake) */
  requests = 0;
  private readonly sockets: Socket[] = [];

  /** `own`: this agent serves one client, so its sockets' bytes are that client's (kept for bytes()) */
  constructor(secure: boolean, tls: TlsTrust | undefined, wire: WireCounter, localAddress?: string, own = false) {
    // Keep-alive as a browser: a polling client's requests reuse their connections.
    // An agent's options override a request's: an undefined localAddress here would erase ws's own.
    const options = {
      keepAlive: true,
      ...(localAddress ? { localAddress } : {}),
      ...(secure ? tlsTrustOptions(tls) : {}),
    };
    const agent = secure ? new HttpsAgent(options) : new HttpAgent(options);
    const internals = agent as unknown as {
      addRequest(req: ClientRequest, options: object): void;
      createConnection(options: object, cb: (err: Error | null, s: Socket) => void): Socket;
    };
    const addRequest = internals.addRequest.bind(agent);
    internals.addRequest = (req, opts) => {
      this.requests++;
      addRequest(req, opts);
    };
    const create = internals.createConnection.bind(agent);
    internals.createConnection = (opts, cb) => {
      const socket = create(opts, cb);
      wire.track(socket);
      if (own) this.sockets.push(socket);
      return socket;
    };
    this.agent = agent;
  }

  /** Bytes read and written on this client's sockets so far (headers, framing and TLS included). */
  bytes(): number {
    let n = 0;
    for (const s of this.sockets) n += s.bytesRead + s.bytesWritten;
    return n;
  }

  destroy(): void {
    this.agent.destroy();
    this.sockets.length = 0;
  }
}
