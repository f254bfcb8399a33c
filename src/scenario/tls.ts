/**
 * The TLS options of a run: `--tls` (the bundled server over TLS, or `off,on` for both), `--cert`
 * and `--key` (its certificate instead of a generated one), `--insecure` (accept a target's
 * self-signed certificate). Every mistake is a one-line UsageError before anything starts.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { TlsMaterial } from '../server-core/context.js';

export interface TlsPlan {
  /** the bundled server's phases: plaintext (false), TLS (true), or each in turn */
  modes: boolean[];
  /** the bundled server's certificate from --cert/--key; null: one is generated when the run starts */
  material: TlsMaterial | null;
  /** accept any certificate of an https:// target */
  insecure: boolean;
}

const MODE_HINT = 'use --tls (on), --tls off,on (each protocol both ways) or --tls off';

/** `--tls` with no value (or true in a scenario) is on; a list of off/on runs each mode in that order. */
function parseModes(v: unknown): boolean[] {
  if (v === undefined || v === false || v === 'false') return [false];
  if (v === true || v === 'true' || v === '') return [true];
  const items = (Array.isArray(v) ? v : String(v).split(',')).map((s) => String(s).trim().toLowerCase());
  const modes: boolean[] = [];
  for (const item of items) {
    if (item !== 'on' && item !== 'off')
      throw new UsageError(`--tls "${String(v)}" is not off, on or off,on`, MODE_HINT);
    if (!modes.includes(item === 'on')) modes.push(item === 'on');
  }
  if (!modes.length) throw new UsageError('--tls is empty', MODE_HINT);
  return modes;
}

function readPem(path: unknown, flag: string): string {
  try {
    return readFileSync(String(path), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(`cannot read ${flag} file "${String(path)}" (${code})`, `give a readable PEM file to ${flag}`);
  }
}

/** Why `material` cannot serve TLS (a certificate that does not parse, or a key that is not its), or null. */
export function tlsMaterialProblem(material: TlsMaterial): string | null {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(material.cert);
  } catch {
    return 'the --cert file is not a PEM X.509 certificate';
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(material.key)))
      return 'the --key file is not the key of the --cert file';
  } catch {
    return 'the --key file is not an unencrypted PEM private key';
  }
  return null;
}

/** The TLS part of a run plan from the raw options (`target`: the --target URL, if any). */
export function parseTlsOptions(o: {
  tls?: unknown;
  cert?: unknown;
  key?: unknown;
  insecure?: unknown;
  target?: unknown;
}): TlsPlan {
  const target = o.target ? String(o.target) : null;
  if (target && o.tls !== undefined)
    throw new UsageError(
      "--tls is for the bundled server; against a target the URL's scheme decides",
      'drop --tls, and use an https:// --target (wss:// for WebSocket follows from it)',
    );
  if ((o.cert === undefined) !== (o.key === undefined))
    throw new UsageError(
      `--${o.cert === undefined ? 'key' : 'cert'} needs --${o.cert === undefined ? 'cert' : 'key'}`,
      'give both: --cert cert.pem --key key.pem',
    );
  let material: TlsMaterial | null = null;
  if (o.cert !== undefined) {
    if (target)
      throw new UsageError('--cert and --key are for the bundled server; a target serves its own', 'drop them');
    material = { cert: readPem(o.cert, '--cert'), key: readPem(o.key, '--key') };
    const problem = tlsMaterialProblem(material);
    if (problem) throw new UsageError(problem, 'give a PEM certificate and its unencrypted PEM key');
  }
  const insecure = o.insecure === true || o.insecure === 'true';
  if (insecure && !(target && target.toLowerCase().startsWith('https:')))
    throw new UsageError(
      "--insecure accepts an https:// target's self-signed certificate and needs one",
      target ? 'drop --insecure: the target is not https://' : 'drop --insecure: the bundled server is trusted already',
    );
  // Your own certificate means TLS, unless --tls says which modes.
  const modes = o.tls === undefined && material ? [true] : parseModes(o.tls);
  if (material && !modes.includes(true))
    throw new UsageError('--cert and --key need a --tls run', 'add --tls, or drop --cert and --key');
  return { modes, material, insecure };
}
