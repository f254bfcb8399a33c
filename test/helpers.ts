import { request } from 'undici';
import { nowMicros } from '../src/clock.js';
import { encodeEvent } from '../src/events/marker.js';
import { ProtocolRecorder } from '../src/metrics/recorder.js';
import { pathsFrom } from '../src/protocols/registry.js';
import type { DriverOptions, TargetEndpoints } from '../src/protocols/types.js';

export function endpointsFor(baseUrl: string, overrides: Partial<TargetEndpoints> = {}): TargetEndpoints {
  return {
    baseUrl,
    paths: pathsFrom((d) => d.defaultPath),
    cursor: 'query',
    cursorParam: 'since',
    headers: {},
    ...overrides,
  };
}

export function driverOptions(baseUrl: string, tag: string, overrides: Partial<DriverOptions> = {}): DriverOptions {
  return {
    target: endpointsFor(baseUrl),
    tag,
    pollIntervalMs: 100,
    requestTimeoutMs: 10_000,
    sourceAddresses: [],
    rooms: 1,
    ...overrides,
  };
}

/** Publishes events seq first..last of run `tag`, intended now. */
export async function publish(baseUrl: string, tag: string, first: number, last: number): Promise<void> {
  for (let seq = first; seq <= last; seq++) {
    const res = await request(`${baseUrl}/publish`, { method: 'POST', body: encodeEvent(tag, seq, nowMicros(), 128) });
    await res.body.dump();
    if (res.statusCode !== 202) throw new Error(`publish answered ${res.statusCode}`);
  }
}

/** Polls `check` every `everyMs` (20 ms) until it is true or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000, everyMs = 20): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function newRecorder(): ProtocolRecorder {
  return new ProtocolRecorder(nowMicros());
}
