// Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3).

/** Longest wait we pass on; a larger value is more likely a misconfiguration than advice. */
export const MAX_RETRY_AFTER_SECONDS = 3600;

/** Whole seconds (at least 1) to wait, or undefined when the header is absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  let seconds: number;
  if (/^\d+$/.test(text)) {
    seconds = Number(text);
  } else {
    const date = Date.parse(text);
    // Only the IMF-fixdate family carries a weekday and "GMT"; anything else is not a date here.
    if (!/GMT$/.test(text) || Number.isNaN(date)) return undefined;
    seconds = Math.ceil((date - now) / 1000);
  }
  return Math.min(Math.max(seconds, 1), MAX_RETRY_AFTER_SECONDS);
}
