/** Maps a network error to a short stable error kind for the results (e.g. refused, reset, timeout). */
export function errorKind(e: unknown): string {
  const err = e as { code?: string; name?: string };
  switch (err?.code) {
    case 'ECONNREFUSED':
      return 'connection-refused';
    case 'ECONNRESET':
      return 'connection-reset';
    case 'EPIPE':
      return 'connection-reset';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connect-timeout';
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return 'timeout';
    case 'UND_ERR_SOCKET':
      return 'socket-closed';
    case 'EMFILE':
    case 'ENFILE':
      return 'too-many-open-files';
    case 'EADDRNOTAVAIL':
      return 'no-source-port';
    case 'UND_ERR_ABORTED':
    case 'ABORT_ERR':
      return 'aborted';
  }
  if (err?.name === 'AbortError') return 'aborted';
  return err?.code ? err.code.toLowerCase() : 'network-error';
}

/** The error kind of an HTTP status a client did not expect: every 5xx is one kind, others keep their code. */
export function statusKind(status: number): string {
  return status >= 500 ? 'http-5xx' : `http-${status}`;
}
