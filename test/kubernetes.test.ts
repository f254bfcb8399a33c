import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { buildProgram } from '../src/cli/main.js';

const dir = fileURLToPath(new URL('../../deploy/kubernetes/', import.meta.url));
const load = (f: string) => parse(readFileSync(dir + f, 'utf8'));

/** The long options a command accepts, read from the real CLI definition. */
function flagsOf(command: string): Set<string> {
  const cmd = buildProgram().commands.find((c) => c.name() === command)!;
  return new Set(cmd.options.map((o) => o.long!));
}

test('the shards Job is an Indexed Job whose pods each run one shard', () => {
  const job = load('shards-job.yaml');
  assert.equal(job.apiVersion, 'batch/v1');
  assert.equal(job.kind, 'Job');
  assert.equal(job.spec.completionMode, 'Indexed');
  assert.equal(job.spec.completions, job.spec.parallelism);
  const c = job.spec.template.spec.containers[0];
  const env = Object.fromEntries(c.env.map((e: { name: string; value: string }) => [e.name, e.value]));
  assert.equal(Number(env.SHARDS), job.spec.completions, 'SHARDS matches completions');
  assert.equal(job.spec.template.spec.restartPolicy, 'Never');
  const script = c.args.join(' ');
  assert.match(script, /--shard "\$\{JOB_COMPLETION_INDEX\}\/\$\{SHARDS\}"/);
  assert.match(script, /--start-at "\$START_AT"/);
  const mount = c.volumeMounts[0].mountPath;
  assert.match(script, new RegExp(`--out "${mount}/part-\\$\\{JOB_COMPLETION_INDEX\\}\\.json"`));
  const known = flagsOf('run');
  for (const flag of script.match(/--[a-z-]+/g)!) assert.ok(known.has(flag), `rtbench run accepts ${flag}`);
});

test('the merge Job reads the shards from the same volume and uses real rtbench commands', () => {
  const shards = load('shards-job.yaml');
  const merge = load('merge-job.yaml');
  const pvc = load('results-pvc.yaml');
  assert.equal(pvc.kind, 'PersistentVolumeClaim');
  assert.deepEqual(pvc.spec.accessModes, ['ReadWriteMany']);
  const claim = (j: typeof merge) => j.spec.template.spec.volumes[0].persistentVolumeClaim.claimName;
  assert.equal(claim(shards), pvc.metadata.name);
  assert.equal(claim(merge), pvc.metadata.name);
  const script = merge.spec.template.spec.containers[0].args.join(' ');
  assert.match(script, /rtbench merge \/results\/part-\*\.json -o \/results\/run\.json/);
  const known = flagsOf('merge');
  for (const flag of script
    .split('&&')[0]
    .match(/ -(-[a-z-]+|o)\b/g)!
    .map((f: string) => f.trim())) {
    assert.ok(flag === '-o' || known.has(flag), `rtbench merge accepts ${flag}`);
  }
});
