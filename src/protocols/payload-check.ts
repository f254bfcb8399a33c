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
