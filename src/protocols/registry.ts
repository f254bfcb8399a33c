import { UsageError } from '../errors.js';
import { pollingDriver } from './polling.js';
import { longPollingDriver } from './long-polling.js';
import { sseDriver } from './sse.js';
import { websocketDriver } from './websocket.js';
import { PROTOCOL_NAMES, type ProtocolDriver, type ProtocolName } from './types.js';

const DRIVERS: Record<ProtocolName, ProtocolDriver> = {
  polling: pollingDriver,
  'long-polling': longPollingDriver,
  sse: sseDriver,
  websocket: websocketDriver,
};

const ALIASES: Record<string, ProtocolName> = { poll: 'polling', longpoll: 'long-polling', 'long-poll': 'long-polling', ws: 'websocket', 'server-sent-events': 'sse' };

export function driverFor(name: ProtocolName): ProtocolDriver {
  return DRIVERS[name];
}

/** Parses "sse,ws" or "all" into protocol names, in the canonical order. */
export function parseProtocols(text: string | string[]): ProtocolName[] {
  const items = (Array.isArray(text) ? text : String(text).split(',')).map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (items.length === 1 && items[0] === 'all') return [...PROTOCOL_NAMES];
  const chosen = new Set<ProtocolName>();
  for (const item of items) {
    const name = (PROTOCOL_NAMES as readonly string[]).includes(item) ? (item as ProtocolName) : ALIASES[item];
    if (!name) throw new UsageError(`unknown protocol "${item}"`, `choose from ${PROTOCOL_NAMES.join(', ')} (or all)`);
    chosen.add(name);
  }
  if (!chosen.size) throw new UsageError('no protocol given', `choose from ${PROTOCOL_NAMES.join(', ')} (or all)`);
  return PROTOCOL_NAMES.filter((p) => chosen.has(p));
}
