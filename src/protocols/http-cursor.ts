import type { TargetEndpoints } from './types.js';

/**
 * How a polling client keeps its place in the stream, for any pub/sub server:
 * - query: ?<param>=<cursor>, the cursor read from the answer's JSON "cursor" field, else its
 *   X-Cursor header, else the highest rtbench seq seen;
 * - http-cache: the answer's Last-Modified / ETag echoed back as If-Modified-Since / If-None-Match.
 */
export class HttpCursor {
  private cursor: string | null = null;
  private lastModified: string | null = null;
  private etag: string | null = null;

  constructor(private readonly target: TargetEndpoints) {}

  /** The path with the cursor parameter, for the next request. */
  path(basePath: string): string {
    if (this.target.cursor !== 'query' || this.cursor === null) return basePath;
    const sep = basePath.includes('?') ? '&' : '?';
    return `${basePath}${sep}${encodeURIComponent(this.target.cursorParam)}=${encodeURIComponent(this.cursor)}`;
  }

  /** Request headers carrying the cursor (http-cache mode) on top of the target's own headers. */
  headers(): Record<string, string> {
    if (this.target.cursor !== 'http-cache') return this.target.headers;
    const h: Record<string, string> = { ...this.target.headers };
    if (this.lastModified) h['if-modified-since'] = this.lastModified;
    if (this.etag) h['if-none-match'] = this.etag;
    return h;
  }

  /** Learns the next cursor from an answer. */
  update(headers: Record<string, string | string[] | undefined>, body: string, highestSeq: number): void {
    if (this.target.cursor === 'http-cache') {
      const lm = headers['last-modified'];
      const et = headers['etag'];
      if (typeof lm === 'string') this.lastModified = lm;
      if (typeof et === 'string') this.etag = et;
      return;
    }
    const m = /"cursor"\s*:\s*"?([\w.:-]+)/.exec(body.length > 200 ? body.slice(0, 200) : body);
    if (m) this.cursor = m[1];
    else if (typeof headers['x-cursor'] === 'string') this.cursor = headers['x-cursor'];
    else if (highestSeq > 0) this.cursor = String(highestSeq);
  }
}
