import type { ProtocolDescriptor } from './descriptor.js';
import { polling } from './polling/index.js';
import { longPolling } from './long-polling/index.js';
import { sse } from './sse/index.js';
import { websocket } from './websocket/index.js';

/** Every protocol rtbench speaks, in the order runs and reports list them. Adding one = one line. */
export const PROTOCOLS: readonly ProtocolDescriptor[] = [polling, longPolling, sse, websocket];
