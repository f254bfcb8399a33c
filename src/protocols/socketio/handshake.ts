/** What a Socket.IO handshake is built from: the path's query (rooms) and the token. */

/** The bearer token of the target's headers, which Socket.IO sends in its handshake's `auth`. */
export function bearerToken(headers: Record<string, string>): string | undefined {
  const value = Object.entries(headers).find(([k]) => k.toLowerCase() === 'authorization')?.[1];
  return value ? /^Bearer\s+(\S+)$/i.exec(value.trim())?.[1] : undefined;
}

/** `/socket.io?room={room}` → the path and its query parameters, as socket.io-client takes them. */
export function splitPath(pathWithQuery: string): { path: string; query: Array<[string, string]> } {
  const q = pathWithQuery.indexOf('?');
  if (q < 0) return { path: pathWithQuery, query: [] };
  return { path: pathWithQuery.slice(0, q), query: [...new URLSearchParams(pathWithQuery.slice(q + 1))] };
}
