/** Case- and accent-folding used for string index values and string search values alike. */
export function normalizeString(value: string): string {
  return value
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}
