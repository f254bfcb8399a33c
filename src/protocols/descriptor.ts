import type { RouteFactory } from '../server-core/route.js';
import type { ProtocolDriver } from './types.js';

/**
 * Everything rtbench knows about one protocol, declared once in the protocol's folder: the
 * registry, command-line flags, target endpoints, connection kinds, labels and the reference
 * server's routes all derive from the list of descriptors (src/protocols/list.ts).
 */
export interface ProtocolDescriptor {
  /** the command-line name, e.g. `long-polling` */
  name: string;
  /** other names accepted by --protocols */
  aliases: string[];
  /** how people read it, e.g. `Long-polling` */
  label: string;
  /** the option naming this protocol's path on a target: scenario key (camelCase) and --flag (kebab-case) */
  pathOption: string;
  /** the path on the bundled server, and the default on a target */
  defaultPath: string;
  /**
   * left out of `--protocols all` (the four ways rtbench compares by default); named, or added to
   * all with `all,<name>`, it runs
   */
  optIn?: boolean;
  /** the transports it can run over, each a variant of its rows (e.g. Socket.IO's websocket, upgrade) */
  transports?: readonly string[];
  /**
   * false: the bundled server's route applies no --backpressure policy (Socket.IO queues in its own
   * way), so the protocol runs once whatever policies the plan names
   */
  backpressurePolicies?: false;
  /**
   * transports whose requests must all reach the server process holding the session (Socket.IO's
   * polling): a run of one of them needs the bundled server as one process
   */
  stickyTransports?: readonly string[];
  /** false: its clients cannot read slowly on purpose (socket.io-client reads what arrives): no --slow-consumers */
  slowReading?: false;
  /** the client half */
  driver: ProtocolDriver;
  /** the reference server's half, loaded only by server processes (client workers never import it) */
  route: () => Promise<RouteFactory>;
}
