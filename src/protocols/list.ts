import type { ProtocolDescriptor } from './descriptor.js';
import { polling } from './polling/index.js';
import { longPolling } from './long-polling/index.js';
import { sse } from './sse/index.js';
import { websocket } from './websocket/index.js';
import { socketio } from './socketio/index.js';

const protocols: ProtocolDescriptor[] = [polling, longPolling, sse, websocket, socketio];

/** Every protocol rtbench speaks, in the order runs and reports list them. Adding one = one line above. */
export const PROTOCOLS: readonly ProtocolDescriptor[] = protocols;

/**
 * Adds a protocol that lives outside this list (a plugin, or a test's fake protocol); it runs
 * after the built-in ones. Only this process sees it: name its module in PROTOCOL_MODULES_ENV so
 * client workers and server processes load it too.
 */
export function registerProtocol(d: ProtocolDescriptor): void {
  const names = [d.name, ...d.aliases];
  const taken = protocols.find((p) => [p.name, ...p.aliases].some((n) => names.includes(n)));
  if (taken) throw new Error(`protocol ${d.name} clashes with ${taken.name}`);
  protocols.push(d);
}

/**
 * A comma list of module URLs, each default-exporting a ProtocolDescriptor. Every rtbench process
 * (the CLI, client workers, bundled server processes) registers them as it starts: children inherit
 * the environment, so a protocol registered this way is known on both sides of a run.
 */
export const PROTOCOL_MODULES_ENV = 'RTBENCH_PROTOCOL_MODULES';

for (const url of (process.env[PROTOCOL_MODULES_ENV] ?? '').split(',').filter(Boolean)) {
  const module = (await import(url)) as { default: ProtocolDescriptor };
  if (!protocols.includes(module.default)) registerProtocol(module.default);
}
