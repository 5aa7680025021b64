import {
  concreteTiming,
  isReferenceMoment,
  shiftMoment,
  span,
  timeUnit,
  TimingError,
} from '../../../src/workflows/action-timing';

test('days, weeks, months and years on a date; months clamp to the last day', () => {
  expect(shiftMoment('2026-03-16', -7, 'd')).toBe('2026-03-09');
  expect(shiftMoment('2026-03-16', 4, 'wk')).toBe('2026-04-13');
  expect(shiftMoment('2026-01-31', 1, 'mo')).toBe('2026-02-28');
  expect(shiftMoment('2024-02-29', 1, 'a')).toBe('2025-02-28');
  expect(shiftMoment('2026-12-31', 1, 'd')).toBe('2027-01-01');
});

test('hours on a date land on the day they fall in', () => {
  expect(shiftMoment('2026-03-16', 2, 'h')).toBe('2026-03-16');
  expect(shiftMoment('2026-03-16', 30, 'h')).toBe('2026-03-17');
  expect(shiftMoment('2026-03-16', -1, 'h')).toBe('2026-03-15');
});

test('a dateTime keeps its zone; wall-clock arithmetic across a month end', () => {
  expect(shiftMoment('2026-04-02T08:30:00-05:00', 2, 'h')).toBe('2026-04-02T10:30:00-05:00');
  expect(shiftMoment('2026-03-31T23:30:00+02:00', 45, 'min')).toBe('2026-04-01T00:15:00+02:00');
  expect(shiftMoment('2026-03-29T01:30:00Z', 1, 'wk')).toBe('2026-04-05T01:30:00Z');
});

test('day 0 must be a full date or a dateTime with a zone', () => {
  expect(isReferenceMoment('2026-03-16')).toBe(true);
  expect(isReferenceMoment('2026-03-16T08:00:00.000Z')).toBe(true);
  expect(isReferenceMoment('2026-03')).toBe(false);
  expect(isReferenceMoment('2026-03-16T08:00:00')).toBe(false);
  expect(() => shiftMoment('2026-03', 1, 'd')).toThrow(TimingError);
});

test('units by UCUM code or by their human name; other units are refused', () => {
  expect(timeUnit({ value: 1, system: 'http://unitsofmeasure.org', code: 'wk' })).toBe('wk');
  expect(timeUnit({ value: 1, unit: 'days' })).toBe('d');
  expect(() => timeUnit({ value: 1, system: 'http://unitsofmeasure.org', code: 'mg' })).toThrow(TimingError);
});

test('timingDuration is a point, timingRange a window with open ends; absolute timings are kept', () => {
  const d = (value: number, code = 'd') => ({ value, system: 'http://unitsofmeasure.org', code });
  expect(concreteTiming({ timingDuration: d(-7) }, '2026-03-16')).toEqual({ timingDateTime: '2026-03-09' });
  expect(concreteTiming({ timingRange: { high: d(-1) } }, '2026-03-16')).toEqual({
    timingPeriod: { end: '2026-03-15' },
  });
  expect(concreteTiming({ timingRange: { low: d(1) } }, '2026-03-16')).toEqual({
    timingPeriod: { start: '2026-03-17' },
  });
  expect(concreteTiming({ timingDateTime: '2026-01-01' }, '2026-03-16')).toEqual({
    timingDateTime: '2026-01-01',
  });
  expect(concreteTiming({}, '2026-03-16')).toEqual({});
  expect(() => concreteTiming({ timingDuration: { value: 1.5, code: 'd' } }, '2026-03-16')).toThrow(
    /whole number/,
  );
});

test('span orders dates and dateTimes by instant', () => {
  expect(
    span([
      { timingDateTime: '2026-03-16' },
      { timingPeriod: { start: '2026-03-09', end: '2026-03-15' } },
      { timingPeriod: { end: '2026-04-13' } },
    ]),
  ).toEqual({
    start: '2026-03-09',
    end: '2026-04-13',
  });
  expect(span([])).toBeUndefined();
});
