/**
 * R4 search.html#escaping: `\,` `\|` `\$` `\\` stand for the literal characters.
 * Splits at unescaped separators, then unescapes each part.
 */
export function splitEscaped(value: string, separator: ',' | '|' | '$'): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '\\' && i + 1 < value.length) {
      current += ch + value[i + 1];
      i++;
    } else if (ch === separator) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

export function unescapeValue(value: string): string {
  return value.replace(/\\([,|$\\])/g, '$1');
}

/** Splits once at the first unescaped separator: `a|b|c` -> [`a`, `b|c`]. */
export function splitFirstEscaped(value: string, separator: '|' | '$'): [string, string] | undefined {
  const parts = splitEscaped(value, separator);
  if (parts.length < 2) return undefined;
  return [parts[0], parts.slice(1).join(separator)];
}

/** The inverse of unescapeValue: a literal value written as one search parameter value part. */
export function escapeValue(value: string): string {
  return value.replace(/[,|$\\]/g, (ch) => `\\${ch}`);
}
