import { Pool } from 'undici';
import { errorKind, statusKind } from '../protocols/errors.js';
import { withRoom } from '../protocols/rooms.js';
import { tlsTrustOptions, type TlsTrust } from '../protocols/tls-trust.js';

import type { UpstreamChannel } from '../protocols/types.js';

/** How the publisher gets one event to the target: null when accepted, else an error kind. */
export type PublishTransport = UpstreamChannel;

/** POST (or the configured method) to the publish endpoint, over one keep-alive connection, in order. */
export class HttpPublishTransport implements PublishTransport {
  private readonly pool: Pool;

  constructor(
    baseUrl: string,
    private readonly method: string,
    private readonly path: string,
    private readonly headers: Record<string, string>,
    tls?: TlsTrust,
  ) {
    this.pool = new Pool(baseUrl, {
      connect: tlsTrustOptions(tls),
      connections: 1,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
  }

  async send(room: number, body: string): Promise<string | null> {
    try {
      const res = await this.pool.request({
        path: withRoom(this.path, room),
        method: this.method,
        headers: { 'content-type': 'application/json', ...this.headers },
        body,
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) return null;
      return statusKind(res.statusCode);
    } catch (e) {
      return errorKind(e);
    }
  }

  async close(): Promise<void> {
    await this.pool.close().catch(() => {});
  }
}
