import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../src/errors.js';
import { phasesOf } from '../src/load/runner.js';
import { bundledServerTls, trustOf } from '../src/load/tls-run.js';
import { resultLabel } from '../src/results/result-label.js';
import { buildPlan } from '../src/scenario/options.js';
import { selfSignedCertificate } from '../src/server/tls.js';

const usage = (pattern: RegExp) => (e: unknown) => e instanceof UsageError && pattern.test(e.message);

function pemFiles(): { cert: string; key: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rtbench-tls-'));
  const m = selfSignedCertificate();
  writeFileSync(join(dir, 'cert.pem'), m.cert);
  writeFileSync(join(dir, 'key.pem'), m.key);
  return { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), dir };
}

test('the generated certificate is a self-signed X.509 for localhost and the given addresses, with its key', () => {
  const m = selfSignedCertificate(['127.0.0.1', '127.0.0.2', '::1']);
  const cert = new X509Certificate(m.cert);
  assert.ok(cert.checkIssued(cert), 'self-signed');
  assert.equal(
    cert.subjectAltName,
    'DNS:localhost, IP Address:127.0.0.1, IP Address:127.0.0.2, IP Address:0:0:0:0:0:0:0:1',
  );
  assert.ok(cert.checkHost('localhost') && cert.checkIP('127.0.0.2') && !cert.checkIP('10.0.0.1'));
  assert.ok(Date.parse(cert.validFrom) <= Date.now() && Date.parse(cert.validTo) > Date.now() + 86_400_000);
  assert.ok(cert.verify(cert.publicKey), 'its signature checks out');
  assert.deepEqual(trustOf(m), { ca: m.cert }, 'clients trust it as their authority, verification on');
  assert.notEqual(selfSignedCertificate().cert, m.cert, 'a new key and serial each run');
});

test('--tls is off by default, on without a value, and off,on runs each protocol both ways labelled "· tls"', () => {
  assert.deepEqual(buildPlan({}).tls, { modes: [false], material: null, insecure: false });
  assert.deepEqual(buildPlan({ tls: true }).tls.modes, [true]);
  assert.deepEqual(buildPlan({ tls: 'on' }).tls.modes, [true]);
  const plan = buildPlan({ tls: 'off,on', protocols: 'sse,polling' });
  assert.deepEqual(plan.tls.modes, [false, true]);
  assert.deepEqual(
    phasesOf(plan).map((p) => [resultLabel({ protocol: p.protocol, variant: p.variant ?? undefined }), p.tls]),
    [
      ['polling', false],
      ['polling · tls', true],
      ['sse', false],
      ['sse · tls', true],
    ],
  );
  const policies = buildPlan({ tls: 'on', protocols: 'websocket', backpressure: 'buffer,drop-oldest' });
  assert.deepEqual(
    phasesOf(policies).map((p) => p.variant),
    ['buffer · tls', 'drop-oldest · tls'],
  );
  assert.equal(bundledServerTls(buildPlan({}), []), null, 'no certificate is made for a plaintext run');
  assert.ok(bundledServerTls(plan, ['127.0.0.2'])?.cert.includes('BEGIN CERTIFICATE'));
});

test('--cert and --key serve your own certificate (and imply --tls); mistakes are one-line usage errors', () => {
  const f = pemFiles();
  const plan = buildPlan({ cert: f.cert, key: f.key });
  assert.deepEqual(plan.tls.modes, [true]);
  assert.ok(plan.tls.material?.key.includes('PRIVATE KEY'));
  assert.throws(() => buildPlan({ cert: f.cert }), usage(/--cert needs --key/));
  assert.throws(() => buildPlan({ key: f.key }), usage(/--key needs --cert/));
  assert.throws(
    () => buildPlan({ cert: join(f.dir, 'missing.pem'), key: f.key }),
    usage(/cannot read --cert file ".*missing.pem" \(ENOENT\)/),
  );
  assert.throws(() => buildPlan({ cert: f.key, key: f.key }), usage(/--cert file is not a PEM X\.509 certificate/));
  const other = pemFiles();
  assert.throws(() => buildPlan({ cert: f.cert, key: other.key }), usage(/not the key of the --cert file/));
  assert.throws(() => buildPlan({ cert: f.cert, key: f.key, tls: 'off' }), usage(/need a --tls run/));
});

test('against a target the URL decides: --tls and --cert are refused, --insecure needs an https target', () => {
  const target = { target: 'https://127.0.0.1:9000' };
  assert.throws(() => buildPlan({ ...target, tls: true }), usage(/--tls is for the bundled server/));
  const f = pemFiles();
  assert.throws(
    () => buildPlan({ ...target, cert: f.cert, key: f.key }),
    usage(/--cert and --key are for the bundled/),
  );
  assert.throws(() => buildPlan({ target: 'http://127.0.0.1:9000', insecure: true }), usage(/--insecure .*https/));
  assert.throws(() => buildPlan({ insecure: true }), usage(/--insecure .*https/));
  const plan = buildPlan({ ...target, insecure: true });
  assert.deepEqual(plan.target?.endpoints.tls, { insecure: true });
  assert.equal(buildPlan(target).target?.endpoints.tls, undefined, 'the system authorities by default');
  assert.deepEqual(
    phasesOf(plan).map((p) => p.variant),
    [null, null, null, null],
  );
});

test('a --tls value other than off, on or a list of them is a usage error', () => {
  for (const bad of ['yes', 'on,maybe', ',', 'tls1.3'])
    assert.throws(() => buildPlan({ tls: bad }), usage(/--tls ".*" is not off, on or off,on|--tls is empty/), bad);
});
