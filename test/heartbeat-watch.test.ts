import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClientSession, ReconnectingClient, type ClientSpec } from '../src/protocols/client-base.js';
import { nowMicros } from '../src/clock.js';
import type { ClientEvents } from '../src/protocols/types.js';
import { driverOptions } from './helpers.js';

/** A client whose transport is always up at once and hears bytes only when told. */
class QuietClient extends ReconnectingClient {
  opened = 0;
  protected open(): void {
    this.opened++;
    this.up();
  }
  protected teardown(): void {}
  hear(): void {
    this.heardAt = this.spec.shared.watch.tick;
  }
}

function eventsLog(): ClientEvents & { errors: string[] } {
  const errors: string[] = [];
  const nothing = () => {};
  return {
    errors,
    attempt: nothing,
    connected: nothing,
    disconnected: nothing,
    delivered: () => true,
    request: nothing,
    reconnect: nothing,
    error: (kind) => void errors.push(kind),
  };
}

function session(heartbeatMs: number) {
  const options = driverOptions('http://127.0.0.1:9', 'hb', { heartbeatMs, backoff: { initialMs: 1, maxMs: 2 } });
  return new ClientSession(options, (spec: ClientSpec) => new QuietClient(spec));
}

test('a transport silent for 2 heartbeat intervals is given up as heartbeat-timeout and reopened', async () => {
  const s = session(100);
  const quiet = eventsLog();
  const chatty = eventsLog();
  const silent = s.createClient(0, quiet) as QuietClient;
  const talking = s.createClient(1, chatty) as QuietClient;
  const started = nowMicros();
  await Promise.all([silent.start(), talking.start()]);
  const hearing = setInterval(() => talking.hear(), 30);
  await sleep(550);
  clearInterval(hearing);
  const stats = s.heartbeat()!;
  await s.close();
  assert.deepEqual(quiet.errors, ['heartbeat-timeout'], 'found after 2–3 intervals, once');
  assert.equal(silent.opened, 2, 'and reconnected');
  assert.deepEqual(chatty.errors, [], 'a client hearing bytes is left alone');
  assert.equal(stats.timeoutsAtMicros.length, 1);
  const after = (stats.timeoutsAtMicros[0] - started) / 1000;
  assert.ok(after >= 250 && after < 550, `detected ${after} ms after the last byte`);
  assert.ok(stats.watchedMs >= 2 * 3 * 100, 'both transports counted as connection time');
});

test('without --heartbeat there is no watch and no figures', async () => {
  const s = session(0);
  const log = eventsLog();
  const c = s.createClient(0, log);
  await c.start();
  await sleep(50);
  assert.equal(s.heartbeat(), null);
  await s.close();
  assert.deepEqual(log.errors, []);
});
