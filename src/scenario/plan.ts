import type { ProtocolName, TargetEndpoints } from '../protocols/types.js';

/** Everything one `rtbench run` needs, after defaults, scenario file and flags were combined. */
export interface RunPlan {
  name: string | null;
  protocols: ProtocolName[];
  clients: number;
  durationMs: number;
  rampMs: number;
  /** events per second published */
  rate: number;
  payloadBytes: number;
  pollIntervalMs: number;
  longPollTimeoutMs: number;
  /** 0 = automatic */
  workers: number;
  sourceAddresses: string[];
  /** null: start the bundled reference server in-process */
  target: TargetPlan | null;
  /** options for the bundled server */
  server: { fanoutDelayMs: number };
  output: { json: string | null; quiet: boolean };
}

export interface TargetPlan {
  url: string;
  publish: { method: string; path: string };
  endpoints: TargetEndpoints;
  /** where to read server metrics, or null when the target has none */
  metricsPath: string | null;
}
