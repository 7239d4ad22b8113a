/** metav1.Time on the wire: RFC 3339 in UTC with whole seconds, e.g. 2026-01-02T03:04:05Z. */
export function rfc3339(date: Date): string {
  // Every write stamps the time (creationTimestamp, managedFields): within one second the text is the same.
  const second = Math.floor(date.getTime() / 1000);
  if (second === lastSecond) return lastText;
  const text = date.toISOString().replace(/\.\d+Z$/, 'Z');
  lastSecond = second;
  lastText = text;
  return text;
}

let lastSecond = Number.NaN;
let lastText = '';
