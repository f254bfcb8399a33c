/**
 * The bundled server's certificate for `--tls`: a self-signed P-256 certificate made at start, in
 * memory, with node:crypto alone (key pair, ECDSA signature) and the few DER encodings below.
 *
 * Why no dependency: the usual packages pull a whole ASN.1/PKI stack (selfsigned → @peculiar/x509
 * + pkijs, about 20 packages; node-forge, 1.6 MB of its own crypto) to write one fixed structure;
 * shelling out to openssl fails where a user's machine lacks it. One certificate shape, written
 * here, is ~60 lines that node:crypto's X509Certificate and every TLS handshake in the tests check.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP, isIPv4 } from 'node:net';
import type { TlsMaterial } from '../server-core/context.js';
import { ALPN_PROTOCOLS } from './http2-front.js';

export type { TlsMaterial };

/**
 * The environment variable that hands the certificate and key to the server's own processes
 * (the bundled server's process, and each cluster process, which inherits it). Not the command
 * line the other options travel on: a private key there is visible to every user's `ps`.
 */
export const TLS_ENV = 'RTBENCH_SERVER_TLS';

/** The server options of this process, with the certificate and key from the environment if set. */
export function withTlsFromEnv<T extends { tls?: TlsMaterial | null }>(options: T): T {
  const raw = process.env[TLS_ENV];
  return raw ? { ...options, tls: JSON.parse(raw) as TlsMaterial } : options;
}

/** The environment for a server process serving `tls` (the rest of the options go on its command line). */
export function envWithTls(tls: TlsMaterial | null | undefined): NodeJS.ProcessEnv {
  return tls ? { ...process.env, [TLS_ENV]: JSON.stringify(tls) } : process.env;
}

/**
 * The reference server's HTTP server: plain, or over TLS when `tls` is given. The routes never
 * know the difference; an https server hands its upgrades and extra listeners' sockets on alike.
 */
export function createHttpServer(
  tls: TlsMaterial | null | undefined,
  options: http.ServerOptions,
  handler: http.RequestListener,
): http.Server {
  if (!tls) return http.createServer(options, handler);
  // ALPN offers h2 too: the HTTP/2 connections are handed on by http2-front.ts.
  return https.createServer({ ...options, cert: tls.cert, key: tls.key, ALPNProtocols: ALPN_PROTOCOLS }, handler);
}

/** One DER element: tag, definite length, content. */
function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

const seq = (...c: Buffer[]) => der(0x30, ...c);

/** An OBJECT IDENTIFIER from its dotted form (every arc here fits base-128 in a few bytes). */
function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(Number);
  const bytes = [arcs[0] * 40 + arcs[1]];
  for (const arc of arcs.slice(2)) {
    const enc = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) enc.unshift((v & 0x7f) | 0x80);
    bytes.push(...enc);
  }
  return der(0x06, Buffer.from(bytes));
}

/** UTCTime, YYMMDDHHMMSSZ (valid for years up to 2049, as RFC 5280 asks). */
function utcTime(d: Date): Buffer {
  return der(0x17, Buffer.from(d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z', 'latin1'));
}

/** A Name with one common name. */
function commonName(cn: string): Buffer {
  return seq(der(0x31, seq(oid('2.5.4.3'), der(0x0c, Buffer.from(cn, 'utf8')))));
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

/** An IP address as the bytes of an iPAddress GeneralName (4 for IPv4, 16 for IPv6). */
function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  const [head, tail = ''] = ip.split('::');
  const groups = (part: string) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(ip.includes('::') ? tail : '');
  const all = [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/**
 * A self-signed certificate for `localhost` and the addresses clients connect to (default the
 * loopback ones), valid from an hour ago for `days`; clients trust it by passing it as their
 * certificate authority.
 */
export function selfSignedCertificate(ips: string[] = ['127.0.0.1', '::1'], days = 7): TlsMaterial {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x3f) | 0x40; // a positive INTEGER in minimal DER (no leading zero byte)
  const now = Date.now();
  const altNames = seq(
    der(0x82, Buffer.from('localhost', 'latin1')),
    ...ips.filter((ip) => isIP(ip)).map((ip) => der(0x87, ipBytes(ip))),
  );
  const extensions = der(
    0xa3,
    seq(
      seq(oid('2.5.29.17'), der(0x04, altNames)),
      // CA:TRUE as openssl's own self-signed certificates say, so it is a trust anchor as well as the leaf.
      seq(oid('2.5.29.19'), der(0x04, seq(der(0x01, Buffer.from([0xff]))))),
    ),
  );
  const name = commonName('rtbench bundled server');
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))), // v3
    der(0x02, serial),
    ECDSA_SHA256,
    name,
    seq(utcTime(new Date(now - 3_600_000)), utcTime(new Date(now + days * 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  );
  const signature = sign('sha256', tbs, privateKey); // DER ECDSA-Sig-Value
  const cert = seq(tbs, ECDSA_SHA256, der(0x03, Buffer.from([0]), signature));
  const pem = `-----BEGIN CERTIFICATE-----\n${cert.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
  return { cert: pem.replace('\n\n', '\n'), key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}
