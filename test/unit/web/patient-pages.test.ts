import type { Task } from 'fhir/r4';
import { buildHandout, parseHandoutHtml, sectionAnchor } from '../../../src/web/patient/handout';
import { renderHandoutMain } from '../../../src/web/patient/handout-page';
import { linkExpiry } from '../../../src/web/patient/patient-link-operation';
import { publicOrigin } from '../../../src/web/public-origin';
import { dateLabel, highlights, type PlanPhase } from '../../../src/web/patient/plan-page';

const settings = { patientLinkDaysAfterDue: 1, patientLinkDaysWithoutDue: 30 };
const task = (end?: string): Task => ({ resourceType: 'Task', status: 'requested', intent: 'order', ...(end ? { executionPeriod: { end } } : {}) });

describe('the handout read from its HTML', () => {
  const html = `<html><body><h1>Guide</h1><p>Intro &amp; more.</p><h2>What are the risks?</h2><ul><li>Bleeding</li><li><b>Clots</b></li></ul>
<h2>Before</h2><h3>The week before</h3><p>Stop <script>alert(1)</script>aspirin.</p><p>Source of the facts: MedlinePlus.</p></body></html>`;

  test('h2 become sections with anchors, h3 subheadings, lists keep their items, inline markup and scripts are dropped', () => {
    const parsed = parseHandoutHtml(html);
    expect(parsed.title).toBe('Guide');
    expect(parsed.intro).toEqual([{ kind: 'paragraph', text: 'Intro & more.' }]);
    expect(parsed.sections.map((s) => s.id)).toEqual(['what-are-the-risks', 'before']);
    expect(parsed.sections[0].blocks).toEqual([{ kind: 'list', items: ['Bleeding', 'Clots'] }]);
    expect(parsed.sections[1].blocks[0]).toEqual({ kind: 'subheading', text: 'The week before' });
    expect(parsed.sections[1].blocks[1]).toEqual({ kind: 'paragraph', text: 'Stop aspirin.' });
  });

  test('the page escapes the text and credits the source once, from the resources', () => {
    const handout = buildHandout(
      { resourceType: 'PlanDefinition', id: 'p', status: 'active', relatedArtifact: [{ type: 'citation', citation: 'MedlinePlus <encyclopedia>', url: 'https://medlineplus.gov/x' }] },
      { resourceType: 'DocumentReference', id: 'd', status: 'current', content: [{ attachment: { contentType: 'text/html', data: Buffer.from(html.replace('Bleeding', '<img src=x onerror=alert(1)>Bleeding')).toString('base64') } }] },
    );
    const page = renderHandoutMain(handout);
    expect(page).not.toContain('<script');
    expect(page).not.toContain('<img');
    expect(page).toContain('MedlinePlus &lt;encyclopedia&gt;');
    expect(page).not.toContain('Source of the facts');
    expect(sectionAnchor('On the day of surgery')).toBe('on-the-day-of-surgery');
  });
});

describe('patient link expiry', () => {
  const now = new Date('2026-12-01T10:00:00Z');
  test('a due date without a time ends with that day, plus the days after due', () => {
    expect(linkExpiry(task('2026-12-10'), settings, now).toISOString()).toBe('2026-12-11T23:59:59.000Z');
  });
  test('a due dateTime is taken as it is', () => {
    expect(linkExpiry(task('2026-12-10T08:00:00Z'), settings, now).toISOString()).toBe('2026-12-11T08:00:00.000Z');
  });
  test('without a due date the link lives the configured days', () => {
    expect(linkExpiry(task(), settings, now).toISOString()).toBe('2026-12-31T10:00:00.000Z');
  });
  test('the public origin is the base URL without its FHIR path', () => {
    expect(publicOrigin('https://example.org/fhir')).toBe('https://example.org');
  });
});

describe('the dated plan', () => {
  const phases: PlanPhase[] = [
    {
      title: 'Before',
      when: '',
      steps: [
        { id: 'scan', title: 'Scan', detail: undefined, start: undefined, end: '2026-12-09', section: undefined },
        { id: 'week', title: 'Week', detail: undefined, start: '2026-12-03', end: '2026-12-09', section: undefined },
        { id: 'day', title: 'Day', detail: undefined, start: '2026-12-10', end: '2026-12-10', section: undefined },
      ],
    },
  ];
  test('today\'s steps are those whose days include today (a "by" step until its day); the next is the first to start later', () => {
    const marked = highlights(phases, '2026-12-01');
    expect([...marked.today]).toEqual(['scan']);
    expect(marked.next).toBe('week');
    const later = highlights(phases, '2026-12-05');
    expect([...later.today].sort()).toEqual(['scan', 'week']);
    expect(later.next).toBe('day');
  });
  test('dates read as days of the week', () => {
    expect(dateLabel({ start: '2026-12-07', end: '2026-12-13' })).toBe('Mon 7 Dec – Sun 13 Dec');
    expect(dateLabel({ start: undefined, end: '2026-12-09' })).toBe('By Wed 9 Dec');
    expect(dateLabel({ start: '2026-12-10', end: undefined })).toBe('From Thu 10 Dec');
    expect(dateLabel({ start: '2026-12-10', end: '2026-12-10' })).toBe('Thu 10 Dec');
  });
});
