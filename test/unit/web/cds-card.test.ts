import type { PlanDefinition } from 'fhir/r4';
import { escapeMarkdown, procedureName, summaryOf } from '../../../src/web/cds-hooks/card';
import { orderCodings, orderDayZero, ordersInScope } from '../../../src/web/cds-hooks/orders';
import { formatRelativeWindow, formatWindow } from '../../../src/web/cds-hooks/timeline';
import type { HookRequest } from '../../../src/web/cds-hooks/hook-request';

const plan = (extra: Partial<PlanDefinition>): PlanDefinition => ({ resourceType: 'PlanDefinition', status: 'active', ...extra });

test('date windows read as the card shows them', () => {
  expect(formatWindow('2026-12-15', '2026-12-15')).toBe('Dec 15');
  expect(formatWindow('2026-12-08', '2026-12-14')).toBe('Dec 8 – 14');
  expect(formatWindow('2026-11-28', '2026-12-03')).toBe('Nov 28 – Dec 3');
  expect(formatWindow('2026-12-29', '2027-01-04')).toBe('Dec 29, 2026 – Jan 4, 2027');
  expect(formatWindow(undefined, '2026-12-14')).toBe('By Dec 14');
  expect(formatWindow('2026-12-16', undefined)).toBe('From Dec 16');
});

test('without an order date, windows count days from surgery', () => {
  expect(formatRelativeWindow('2026-12-08', '2026-12-14', '2026-12-15')).toBe('7 to 1 days before surgery');
  expect(formatRelativeWindow(undefined, '2026-12-14', '2026-12-15')).toBe('By 1 day before surgery');
  expect(formatRelativeWindow('2026-12-15', '2026-12-15', '2026-12-15T08:00:00Z')).toBe('On the day of surgery');
  expect(formatRelativeWindow('2026-12-15', '2026-12-29', '2026-12-15')).toBe('From the day of surgery to 14 days after surgery');
});

test('library text cannot become Markdown markup or a link', () => {
  expect(escapeMarkdown('**bold** [x](javascript:alert(1)) <b>a_b</b>\n next')).toBe('\\*\\*bold\\*\\* \\[x\\](javascript:alert(1)) \\<b\\>a\\_b\\</b\\> next');
});

test('the summary names the procedure in lower case (acronyms kept) and stays under 140 characters', () => {
  const focus = (text: string) => [{ code: { code: 'focus' }, valueCodeableConcept: { text } }];
  expect(summaryOf(plan({ useContext: focus('Foraminotomy') }), true, true)).toBe('Patient education for foraminotomy: handout, preparation steps, pre-op questionnaire');
  expect(procedureName(plan({ useContext: focus('CT-guided biopsy') }))).toBe('CT-guided biopsy');
  expect(summaryOf(plan({ title: 'Knee replacement: steps' }), false, false)).toBe('Patient education for knee replacement: handout');
  expect(summaryOf(plan({ useContext: focus('x'.repeat(300)) }), true, true).length).toBeLessThan(140);
});

test('order codings: well-formed codings only, deduplicated; day 0 only from a full date', () => {
  const sr = { resourceType: 'ServiceRequest', id: 'a', status: 'draft', intent: 'order', subject: {}, code: { coding: [{ system: 's', code: '1' }, { system: 's', code: '1' }, { code: '2' }, null, { system: 's', code: 3 }] } };
  expect(orderCodings(sr as never)).toEqual([{ system: 's', code: '1' }]);
  expect(orderDayZero({ ...sr, occurrenceDateTime: '2026-12' } as never)).toBeUndefined();
  expect(orderDayZero({ ...sr, occurrenceDateTime: '2026-12-15' } as never)).toBe('2026-12-15');
  expect(orderDayZero({ ...sr, occurrenceTiming: { event: ['2026-12-16T08:00:00+01:00'] } } as never)).toBe('2026-12-16T08:00:00+01:00');
});

test('order-select looks only at the selected orders (relative or absolute ids)', () => {
  const orders = ['a', 'b', 'c'].map((id) => ({ resourceType: 'ServiceRequest', id }));
  const request = { selections: ['ServiceRequest/a', 'https://ehr.test/fhir/ServiceRequest/c'], draftOrders: orders } as unknown as HookRequest;
  expect(ordersInScope(request).map((o) => o.id)).toEqual(['a', 'c']);
  expect(ordersInScope({ ...request, selections: undefined }).map((o) => o.id)).toEqual(['a', 'b', 'c']);
});
