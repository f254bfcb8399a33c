import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../src/errors.js';
import { BUNDLED_DIR, listBundledScenarios, resolveScenarioPath } from '../src/scenario/bundled.js';
import { loadScenarioFile } from '../src/scenario/scenario-file.js';
import { buildPlan } from '../src/scenario/options.js';

test('every bundled scenario is valid, named and described', () => {
  const all = listBundledScenarios();
  assert.ok(all.length >= 3, `found ${all.length} scenarios`);
  for (const s of all) {
    const raw = loadScenarioFile(join(BUNDLED_DIR, s.file));
    const plan = buildPlan(raw);
    assert.equal(plan.name, s.name, `${s.name}: name matches the file`);
    assert.ok(s.description.length > 10, `${s.name}: has a description`);
    assert.ok(plan.clients > 0 && plan.durationMs > 0);
  }
});

test('a bundled scenario can be named without its path', () => {
  assert.equal(resolveScenarioPath('dashboard'), join(BUNDLED_DIR, 'dashboard.json'));
  assert.equal(resolveScenarioPath('dashboard.json'), join(BUNDLED_DIR, 'dashboard.json'));
});

test('a bundled YAML scenario is listed, resolved by name and read with the keys and ${VAR}s of JSON', () => {
  const fleet = listBundledScenarios().find((s) => s.name === 'fleet');
  assert.ok(fleet, 'fleet.yaml is listed');
  assert.equal(fleet.file, 'fleet.yaml');
  assert.equal(resolveScenarioPath('fleet'), join(BUNDLED_DIR, 'fleet.yaml'));
  const plan = buildPlan(loadScenarioFile(resolveScenarioPath('fleet'), { REDIS_URL: 'redis://10.0.0.7:6380' }));
  assert.equal(plan.fleet, 3);
  assert.equal(plan.redis, 'redis://10.0.0.7:6380');
  assert.deepEqual(plan.protocols, ['sse', 'websocket']);
  assert.equal(buildPlan(loadScenarioFile(resolveScenarioPath('fleet'), {})).redis, 'redis://127.0.0.1:6379');
});

test('a YAML scenario takes the same keys and values as JSON, lists included', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtbench-yaml-'));
  const yaml = join(dir, 'feed.yml');
  writeFileSync(
    yaml,
    ['# a comment', 'name: feed', 'protocols: [sse, websocket]', 'clients: 20', 'duration: 3s', 'rate: 5/s', ''].join(
      '\n',
    ),
  );
  const json = join(dir, 'feed.json');
  writeFileSync(
    json,
    JSON.stringify({ name: 'feed', protocols: ['sse', 'websocket'], clients: 20, duration: '3s', rate: '5/s' }),
  );
  assert.deepEqual(buildPlan(loadScenarioFile(yaml)), buildPlan(loadScenarioFile(json)));
});

test('YAML mistakes are one-line errors: syntax with its line, duplicate and unknown keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtbench-yaml-'));
  const cases: Array<[string, RegExp]> = [
    ['clients: 10\nduration: [1s\nrate: 1/s\n', /not valid YAML: .* at line \d+, column \d+$/],
    ['clients: 10\nclients: 20\n', /not valid YAML: Map keys must be unique at line 2, column 1$/],
    ['clinets: 10\n', /unknown key "clinets"/],
    ['- clients\n- 10\n', /must hold an object of options/],
  ];
  for (const [i, [text, expected]] of cases.entries()) {
    const file = join(dir, `case-${i}.yaml`);
    writeFileSync(file, text);
    assert.throws(
      () => loadScenarioFile(file),
      (e: Error) => e instanceof UsageError && !e.message.includes('\n') && expected.test(e.message),
      text,
    );
  }
});

test('a JSON syntax error names its line and column', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rtbench-json-'));
  const file = join(dir, 'broken.json');
  writeFileSync(file, '{\n  "clients": 10,\n  "duration": 5s\n}\n');
  assert.throws(() => loadScenarioFile(file), /not valid JSON \(.*\(line 3, column 16\)\)/);
});
