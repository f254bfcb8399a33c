import { UsageError } from '../errors.js';

/** File descriptors a Node process uses before it opens any client socket (stdio, IPC, epoll, libuv). */
export const FD_RESERVE = 200;
/**
 * Share of the open-file limit a process may fill: room for reconnect churn (old socket not yet closed,
 * new one open).
 */
export const FD_FILL = 0.75;

/** Sockets one process may hold under an open-file limit. */
export function connectionsPerProcess(fdLimit: number): number {
  if (!Number.isFinite(fdLimit)) return 50_000;
  return Math.max(1, Math.floor((fdLimit - FD_RESERVE) * FD_FILL));
}

export interface ClientSplit {
  workers: number;
  /** clients per worker, in worker order */
  counts: number[];
  /** most clients one worker may hold under the open-file limit */
  perWorkerCap: number;
}

/**
 * How `clients` are split over client worker processes: the number the user asked for, else at
 * least one per core and enough that each stays well under the open-file limit. A requested
 * number too small for the limit is a usage error rather than a run that fails with EMFILE.
 */
export function splitClients(o: { clients: number; requested: number; cores: number; fdLimit: number }): ClientSplit {
  const cap = connectionsPerProcess(o.fdLimit);
  const needed = Math.ceil(o.clients / cap);
  if (o.requested > 0 && o.requested < needed) {
    throw new UsageError(
      `--workers ${o.requested} cannot hold ${o.clients} clients: the open-file limit of ${o.fdLimit} allows ` +
        `about ${cap} per process`,
      `use --workers ${needed} or more, or 0 for automatic`,
    );
  }
  const workers = o.requested > 0 ? o.requested : Math.max(1, Math.min(o.clients, Math.max(o.cores, needed)));
  return { workers, counts: evenSplit(o.clients, workers), perWorkerCap: cap };
}

/** `total` split into `parts` counts that differ by at most one, the larger first. */
export function evenSplit(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

/**
 * Reference-server processes that hold `connections` under the open-file limit (each process one socket
 * per connection).
 */
export function serverProcessesFor(connections: number, fdLimit: number): number {
  return Math.max(1, Math.ceil(connections / connectionsPerProcess(fdLimit)));
}
