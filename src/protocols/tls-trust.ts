import { createSecureContext, type ConnectionOptions, type SecureContext } from 'node:tls';

/**
 * Which server certificates a client accepts on https:// and wss://: the system's authorities
 * (nothing set), one given certificate (`ca`: the bundled server's, generated for the run), or any
 * (`insecure`: a target with a self-signed certificate, by the user's choice).
 */
export interface TlsTrust {
  /** PEM: trust this certificate (or authority) instead of the system's */
  ca?: string;
  /** accept any certificate (--insecure) */
  insecure?: boolean;
}

/**
 * One secure context per trusted certificate, for every connection of the process: `ca` given to
 * tls.connect builds a new context (certificate store and all) per connection, about 2 ms of CPU
 * and tens of KB each, a cost of the client, not of TLS.
 */
const contexts = new Map<string, SecureContext>();

/** The node:tls (and undici `connect`) options for `trust`; empty for the system's defaults. */
export function tlsTrustOptions(
  trust: TlsTrust | undefined,
): Pick<ConnectionOptions, 'secureContext' | 'rejectUnauthorized'> {
  if (!trust) return {};
  if (trust.insecure) return { rejectUnauthorized: false };
  if (!trust.ca) return {};
  let secureContext = contexts.get(trust.ca);
  if (!secureContext) contexts.set(trust.ca, (secureContext = createSecureContext({ ca: trust.ca })));
  return { secureContext };
}

/** OpenSSL's codes for a certificate the client could not verify (node:tls puts them on `code`). */
const UNVERIFIED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** True when `e` is a server certificate this client refused (self-signed, unknown issuer, wrong name, expired). */
export function isCertificateRefusal(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNVERIFIED.has(code);
}
