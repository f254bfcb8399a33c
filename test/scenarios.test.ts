import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BUNDLED_DIR, listBundledScenarios, resolveScenarioPath } from '../src/scenario/bundled.js';
import { loadScenarioFile } from '../src/scenario/scenario-file.js';
import { buildPlan } from '../src/scenario/options.js';

test('every bundled scenario is valid, named and described', () => {
  const all = listBundledScenarios();
  assert.ok(all.length >= 3, `found ${all.length} scenarios`);
  for (const s of all) {
    const raw = loadScenarioFile(join(BUNDLED_DIR, `${s.name}.json`));
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
