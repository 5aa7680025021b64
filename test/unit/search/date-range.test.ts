import { parseDateRange } from '../../../src/fhir/search/date-range';

/** The implicit range of a date value (https://hl7.org/fhir/R4/search.html#date): [start, end). */
const range = (value: string) => {
  const r = parseDateRange(value);
  return r && { start: new Date(r.start).toISOString(), end: new Date(r.end).toISOString() };
};

describe('implicit ranges of partial dates', () => {
  it('a month ends where the next month starts, December in the next year', () => {
    expect(range('2024-11')).toEqual({ start: '2024-11-01T00:00:00.000Z', end: '2024-12-01T00:00:00.000Z' });
    expect(range('2024-12')).toEqual({ start: '2024-12-01T00:00:00.000Z', end: '2025-01-01T00:00:00.000Z' });
  });

  it('a day ends at the next midnight, the last day of a month or year too', () => {
    expect(range('2024-12-31')).toEqual({
      start: '2024-12-31T00:00:00.000Z',
      end: '2025-01-01T00:00:00.000Z',
    });
    expect(range('2024-02-29')).toEqual({
      start: '2024-02-29T00:00:00.000Z',
      end: '2024-03-01T00:00:00.000Z',
    });
    expect(range('2024-01-31')).toEqual({
      start: '2024-01-31T00:00:00.000Z',
      end: '2024-02-01T00:00:00.000Z',
    });
  });

  it('a year is the whole year; years below 100 are not read as 19xx', () => {
    expect(range('2024')).toEqual({ start: '2024-01-01T00:00:00.000Z', end: '2025-01-01T00:00:00.000Z' });
    expect(range('0024-12')?.start.startsWith('0024-12-01')).toBe(true);
    expect(range('0024-12')?.end.startsWith('0025-01-01')).toBe(true);
  });
});
