/**
 * HTTP-date (RFC 9110 §5.6.7): IMF-fixdate, and the obsolete RFC 850 and asctime forms a
 * recipient must accept. Anything else is invalid (Date.parse would take "2026" or "tomorrow-ish"
 * strings and make an invalid Expires look fresh).
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
const IMF = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

function toMs(
  year: number,
  month: string,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number | undefined {
  if (hour > 23 || minute > 59 || second > 60 || day < 1 || day > 31) return undefined;
  return Date.UTC(year, MONTHS.indexOf(month), day, hour, minute, second);
}

/** Milliseconds since the epoch, or undefined when `text` is not an HTTP-date. */
export function parseHttpDate(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = text.trim();
  let match = IMF.exec(value);
  if (match) {
    return toMs(Number(match[3]), match[2]!, Number(match[1]), +match[4]!, +match[5]!, +match[6]!);
  }
  match = RFC850.exec(value);
  if (match) {
    // Two-digit years more than 50 years in the future are in the past century (§5.6.7).
    const nowYear = new Date().getUTCFullYear();
    let year = 2000 + Number(match[3]);
    if (year > nowYear + 50) year -= 100;
    return toMs(year, match[2]!, Number(match[1]), +match[4]!, +match[5]!, +match[6]!);
  }
  match = ASCTIME.exec(value);
  if (match) {
    return toMs(Number(match[6]), match[1]!, Number(match[2]), +match[3]!, +match[4]!, +match[5]!);
  }
  return undefined;
}
