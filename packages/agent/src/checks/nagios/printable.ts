// Plugin output may hold any bytes: these helpers keep messages and metric names to printable text.

/** C0 and C1 control characters and DEL, which have no place in a one-line message or a metric name. */
function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

/** `text` with every control character replaced by `replacement`. */
export function replaceControls(text: string, replacement: string): string {
  let result = '';
  for (let i = 0; i < text.length; i += 1) {
    result += isControl(text.charCodeAt(i)) ? replacement : text.charAt(i);
  }
  return result;
}

/** One printable line of at most `max` characters, an ellipsis marking a cut. */
export function shortLine(text: string, max: number): string {
  const line = replaceControls(text, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
