/**
 * A message or answer without an rtbench marker is fine when it is JSON (a control message, an
 * empty poll answer); anything else means the target sent something no client could use.
 * Only marker-less payloads are checked, so healthy traffic is never parsed twice.
 */
export function isUnusablePayload(text: string): boolean {
  const trimmed = text.trim();
  if (trimmed === '') return false;
  try {
    JSON.parse(trimmed);
    return false;
  } catch {
    return true;
  }
}

/** The error kind for an unusable payload. */
export const NON_JSON_PAYLOAD = 'payload-not-json';

/** Answers up to this size are remembered once they passed as JSON. */
const REMEMBER_BYTES = 1024;

/**
 * isUnusablePayload for one client's raw answers. A poller gets the same small marker-less answer
 * (e.g. {"cursor":123,"events":[]}) many times in a row, so the last answer that passed is kept
 * and a byte-equal one passes without decoding or parsing; a body whose first and last
 * characters cannot frame any JSON value fails without a parse.
 */
export class AnswerCheck {
  private passed: Uint8Array | null = null;

  unusable(body: Buffer): boolean {
    const n = body.length;
    if (n === 0) return false;
    const passed = this.passed;
    if (passed !== null && body.equals(passed)) return false;
    let first = 0;
    while (first < n && isAsciiSpace(body[first])) first++;
    if (first === n) return false; // only white space: nothing to use, nothing wrong
    let last = n - 1;
    while (isAsciiSpace(body[last])) last--;
    // Only ASCII ends are judged here; anything else (a BOM, other Unicode spaces) is parsed.
    if (body[first] < 0x80 && body[last] < 0x80 && !mayFrameJson(body[first], body[last])) return true;
    const bad = isUnusablePayload(body.toString('utf8'));
    if (!bad && n <= REMEMBER_BYTES) this.passed = new Uint8Array(body);
    return bad;
  }
}

/** White space that String.prototype.trim removes (and \s matches), as far as ASCII goes. */
export function isAsciiSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** Could a JSON text start with `first` and end with `last` (both ASCII, not white space)? */
function mayFrameJson(first: number, last: number): boolean {
  switch (first) {
    case 0x7b:
      return last === 0x7d; // { }
    case 0x5b:
      return last === 0x5d; // [ ]
    case 0x22:
      return last === 0x22; // " "
    case 0x74: // true
    case 0x66:
      return last === 0x65; // false
    case 0x6e:
      return last === 0x6c; // null
    case 0x2d: // -
    default:
      return (first === 0x2d || (first >= 0x30 && first <= 0x39)) && last >= 0x30 && last <= 0x39;
  }
}
