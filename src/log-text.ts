/** Log fields built from request data are cut to this many characters, so a request cannot make a huge log line. */
export const LOG_TEXT_MAX = 200;

export function logText(value: string, max = LOG_TEXT_MAX): string {
  return value.length <= max ? value : `${value.slice(0, max)}… (${value.length} characters)`;
}
