// IAM's `token.expires_at` is Keystone's timestamp: UTC with microseconds,
// `2020-01-04T09:05:22.701000Z`. Date.parse accepts it on V8 today, but it also accepts much
// that is not a timestamp (and reads a zone-less value as local time), so the format is parsed
// here and anything else is refused: an unreadable expiry must never mean "never expires".

const KEYSTONE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;

/** Epoch ms of a Keystone timestamp, or undefined when it is not one. Zone-less means UTC. */
export function parseKeystoneTime(text: string): number | undefined {
  const match = KEYSTONE_TIME.exec(text.trim());
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second, fraction, , sign, offsetHours, offsetMinutes] =
    match;
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  const h = Number(hour);
  const mi = Number(minute);
  const s = Number(second);
  // Years before the epoch are not token expiries (and Date.UTC reads 0..99 as 19xx).
  if (y < 1970) return undefined;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return undefined;
  // Microseconds (or any precision) are cut to the millisecond: early, never late.
  const ms = fraction === undefined ? 0 : Number(fraction.padEnd(3, '0').slice(0, 3));
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  // Date.UTC rolls 31 February over into March; a real timestamp does not need that.
  if (new Date(utc).getUTCDate() !== d) return undefined;
  if (sign === undefined) return utc;
  const oh = Number(offsetHours);
  const om = Number(offsetMinutes);
  if (oh > 23 || om > 59) return undefined;
  const offset = (oh * 60 + om) * 60_000;
  return sign === '+' ? utc - offset : utc + offset;
}
