import { UsageError } from '../errors.js';
import type { ProtocolDescriptor } from './descriptor.js';
import { PROTOCOLS } from './list.js';
import type { ProtocolDriver, ProtocolName, TargetEndpoints } from './types.js';

/** Every protocol's name, in canonical order (read at call time: a protocol may be registered later). */
export function protocolNames(): ProtocolName[] {
  return PROTOCOLS.map((d) => d.name);
}

/** The descriptor of a protocol (by name or alias), or undefined. */
export function findProtocol(name: string): ProtocolDescriptor | undefined {
  return PROTOCOLS.find((d) => d.name === name || d.aliases.includes(name));
}

export function descriptorFor(name: ProtocolName): ProtocolDescriptor {
  const d = findProtocol(name);
  if (!d) throw new Error(`no protocol named ${name}`);
  return d;
}

export function driverFor(name: ProtocolName): ProtocolDriver {
  return descriptorFor(name).driver;
}

/** How a protocol is named for people (an unknown name shows as it is). */
export function protocolLabel(name: string): string {
  return findProtocol(name)?.label ?? name;
}

/**
 * Parses "sse,ws" or "all" into protocol names, in the canonical order. `all` is every protocol
 * but the opt-in ones (Socket.IO); `all,socketio` adds one.
 */
export function parseProtocols(text: string | string[]): ProtocolName[] {
  const names = protocolNames();
  const choices = `choose from ${names.join(', ')} (or all: every one but ${optInNames().join(', ') || 'none'})`;
  if (Array.isArray(text) && text.some((s) => typeof s !== 'string'))
    throw new UsageError(`protocols must be names, got ${JSON.stringify(text)}`, choices);
  const items = (Array.isArray(text) ? text : String(text).split(','))
    .map((s) => String(s).trim().toLowerCase())
    .filter(Boolean);
  const chosen = new Set<ProtocolName>();
  for (const item of items) {
    if (item === 'all') {
      for (const d of PROTOCOLS) if (!d.optIn) chosen.add(d.name);
      continue;
    }
    const d = findProtocol(item);
    if (!d) throw new UsageError(`unknown protocol "${item}"`, choices);
    chosen.add(d.name);
  }
  if (!chosen.size) throw new UsageError('no protocol given', choices);
  return names.filter((p) => chosen.has(p));
}

/** The protocols `all` leaves out. */
function optInNames(): ProtocolName[] {
  return PROTOCOLS.filter((d) => d.optIn).map((d) => d.name);
}

/** Each protocol's path, from per-protocol values keyed by the descriptors' path options. */
export function pathsFrom(pathOf: (d: ProtocolDescriptor) => string): Record<ProtocolName, string> {
  return Object.fromEntries(PROTOCOLS.map((d) => [d.name, pathOf(d)]));
}

/** The reference server's endpoints at `baseUrl`: every protocol on its default path, ?since= cursors. */
export function bundledEndpoints(baseUrl: string, rooms = 1): TargetEndpoints {
  const paths = pathsFrom((d) => (rooms > 1 ? `${d.defaultPath}?room={room}` : d.defaultPath));
  return { baseUrl, paths, cursor: 'query', cursorParam: 'since', headers: {} };
}
