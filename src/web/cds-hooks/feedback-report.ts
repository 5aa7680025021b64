import type { FeedbackCount } from '../../store/cds-hooks-store';

/** The lines `npm run cds-report` prints: one tab-separated row per service and plan. */
export function formatReport(counts: FeedbackCount[], days: number): string[] {
  const lines = [`CDS Hooks cards offered in the last ${days} day(s):`];
  if (counts.length === 0) return [...lines, 'none'];
  lines.push(['service', 'plan', 'offered', 'accepted', 'overridden', 'suggestions accepted'].join('\t'));
  for (const c of counts) lines.push([c.serviceId, c.planId, c.offered, c.accepted, c.overridden, c.acceptedSuggestions].join('\t'));
  return lines;
}
