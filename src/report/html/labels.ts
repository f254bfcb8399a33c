import { protocolLabel, protocolNames } from '../../protocols/registry.js';
import { BACKPRESSURE_POLICIES } from '../../server-core/backpressure.js';

// Okabe–Ito colours: distinguishable with the common colour-vision deficiencies and in greyscale print.
const PALETTE = ['#D55E00', '#E69F00', '#009E73', '#0072B2', '#CC79A7', '#56B4E9', '#000000', '#F0E442'];

export { protocolLabel };

/** A protocol's colour, the same in every chart and every report (keyed by canonical order). */
export function protocolColor(name: string): string {
  const names = protocolNames();
  const i = names.indexOf(name);
  if (i >= 0) return PALETTE[i % PALETTE.length];
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  const free = PALETTE.length - names.length;
  return free > 0 ? PALETTE[names.length + (hash % free)] : PALETTE[hash % PALETTE.length];
}

/** How a result row is named: the protocol, plus its variant when it ran more than once. */
export function seriesLabel(p: { protocol: string; variant?: string }): string {
  return p.variant ? `${protocolLabel(p.protocol)} · ${p.variant}` : protocolLabel(p.protocol);
}

/**
 * A result row's colour: its protocol's, shaded per variant, so rows of one protocol stay one
 * family of colour and still tell apart (the first variant keeps the protocol's own colour).
 */
export function seriesColor(p: { protocol: string; variant?: string }): string {
  const base = protocolColor(p.protocol);
  if (!p.variant) return base;
  let i = (BACKPRESSURE_POLICIES as readonly string[]).indexOf(p.variant);
  if (i < 0) for (const ch of p.variant) i = (Math.abs(i) * 31 + ch.charCodeAt(0)) % 3;
  return [base, mix(base, '#000000', 0.4), mix(base, '#ffffff', 0.45)][i % 3];
}

function mix(a: string, b: string, share: number): string {
  const ch = (hex: string, k: number) => parseInt(hex.slice(1 + 2 * k, 3 + 2 * k), 16);
  const out = [0, 1, 2].map((k) =>
    Math.round(ch(a, k) * (1 - share) + ch(b, k) * share)
      .toString(16)
      .padStart(2, '0'),
  );
  return `#${out.join('')}`;
}
