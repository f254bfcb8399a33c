import { X509Certificate } from 'node:crypto';
import type { TlsTrust } from '../protocols/tls-trust.js';
import type { RunPlan } from '../scenario/plan.js';
import type { TlsMaterial } from '../server-core/context.js';
import { selfSignedCertificate } from '../server/tls.js';

/**
 * Each phase once per TLS mode of the plan (plaintext first when both run), a TLS phase labelled
 * as a variant is ("sse · tls", "websocket · drop-oldest · tls"). A target runs as its URL says.
 */
export function withTlsModes<P extends { variant: string | null }>(
  phases: P[],
  plan: Pick<RunPlan, 'tls' | 'target'>,
): Array<P & { tls: boolean }> {
  const modes = plan.target ? [false] : plan.tls.modes;
  return phases.flatMap((p) =>
    modes.map((tls) => ({ ...p, tls, variant: tls ? (p.variant ? `${p.variant} · tls` : 'tls') : p.variant })),
  );
}

/**
 * The bundled server's certificate for the run's TLS phases: the user's (--cert/--key), or one
 * made now for the loopback addresses clients connect to; null when no phase runs TLS.
 */
export function bundledServerTls(plan: Pick<RunPlan, 'tls' | 'target'>, addresses: string[]): TlsMaterial | null {
  if (plan.target || !plan.tls.modes.includes(true)) return null;
  return plan.tls.material ?? selfSignedCertificate(['127.0.0.1', '::1', ...addresses]);
}

/**
 * What clients of a TLS phase trust: the bundled server's certificate itself when it is
 * self-signed (the generated one always is), verification left on. A --cert issued by an
 * authority is accepted as it is: the run chose it, and the authority's root may be in no store
 * Node reads; the handshake's cost is the same either way.
 */
export function trustOf(material: TlsMaterial): TlsTrust {
  const cert = new X509Certificate(material.cert);
  return cert.checkIssued(cert) ? { ca: material.cert } : { insecure: true };
}
