import { CdsHooksError } from './errors';

/** One item of a feedback call (CDS Hooks 2.0 "Feedback"). */
export interface Feedback {
  card: string;
  outcome: 'accepted' | 'overridden';
  acceptedSuggestions: string[];
  overrideReason: { system?: string; code?: string; comment?: string } | undefined;
  outcomeTimestamp: Date;
}

const MAX_ITEMS = 100;
const MAX_TEXT = 1024;
/** RFC 3339 section 5.6 date-time (the spec's outcomeTimestamp). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown, where: string, required: boolean): string | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value === '') throw CdsHooksError.badRequest(`${where} must be a non-empty string`);
  if (value.length > MAX_TEXT) throw CdsHooksError.badRequest(`${where} is longer than ${MAX_TEXT} characters`);
  if (value.includes('\u0000')) throw CdsHooksError.badRequest(`${where} must not contain a NUL character`);
  return value;
}

function acceptedSuggestionsOf(item: Json, where: string): string[] {
  const list = item.acceptedSuggestions;
  if (list === undefined) {
    if (item.outcome === 'accepted') throw CdsHooksError.badRequest(`${where}.acceptedSuggestions is required when the outcome is accepted`);
    return [];
  }
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_ITEMS) throw CdsHooksError.badRequest(`${where}.acceptedSuggestions must be a non-empty array`);
  return list.map((s: unknown, j) => text(isObject(s) ? s.id : undefined, `${where}.acceptedSuggestions[${j}].id`, true)!);
}

function overrideReasonOf(item: Json, where: string): Feedback['overrideReason'] {
  const reason = item.overrideReason;
  if (reason === undefined) return undefined;
  if (!isObject(reason)) throw CdsHooksError.badRequest(`${where}.overrideReason must be an object`);
  const coding = reason.reason;
  if (coding !== undefined && !isObject(coding)) throw CdsHooksError.badRequest(`${where}.overrideReason.reason must be a Coding`);
  return {
    system: coding ? text(coding.system, `${where}.overrideReason.reason.system`, false) : undefined,
    code: coding ? text(coding.code, `${where}.overrideReason.reason.code`, true) : undefined,
    comment: text(reason.userComment, `${where}.overrideReason.userComment`, false),
  };
}

/** Checks a feedback body; throws a 400 naming the first thing that is wrong. */
export function parseFeedback(body: unknown): Feedback[] {
  const list = isObject(body) ? body.feedback : undefined;
  if (!Array.isArray(list) || list.length === 0) throw CdsHooksError.badRequest('The body must be {"feedback": [...]} with at least one item');
  if (list.length > MAX_ITEMS) throw CdsHooksError.badRequest(`feedback holds more than ${MAX_ITEMS} items`);
  return list.map((item: unknown, i): Feedback => {
    const where = `feedback[${i}]`;
    if (!isObject(item)) throw CdsHooksError.badRequest(`${where} must be an object`);
    const outcome = item.outcome;
    if (outcome !== 'accepted' && outcome !== 'overridden') throw CdsHooksError.badRequest(`${where}.outcome must be "accepted" or "overridden"`);
    const timestamp = text(item.outcomeTimestamp, `${where}.outcomeTimestamp`, true)!;
    const when = new Date(timestamp);
    if (!RFC3339.test(timestamp) || Number.isNaN(when.getTime()) || when.getUTCFullYear() < 1) throw CdsHooksError.badRequest(`${where}.outcomeTimestamp must be an RFC 3339 date-time such as 2026-12-07T10:05:31Z`);
    return {
      card: text(item.card, `${where}.card`, true)!,
      outcome,
      acceptedSuggestions: acceptedSuggestionsOf(item, where),
      overrideReason: overrideReasonOf(item, where),
      outcomeTimestamp: when,
    };
  });
}
