import { randomUUID } from 'node:crypto';
import express from 'express';
import type { ServerContext } from '../../services/server-context';
import { LibraryAnswerCache } from '../../services/library-answer-cache';
import { atomFeed, feedHead, jsonFeed, listPage } from './feed';
import { parseInfobuttonRequest, type InfobuttonRequest } from './infobutton-request';
import { findKnowledge } from './knowledge';
import { publicOrigin } from '../public-origin';

/** What one knowledge request is answered with, kept per normalized request until the library changes. */
interface Answer {
  /** A single handout for text/html: a redirect to it. */
  redirect: string | undefined;
  contentType: string;
  /** The body around the feed's `updated` and `id`, which each response gets afresh: [before, between, after]. */
  parts: string[];
}

/** Stand-ins for the per-response values while the body is rendered once (no character in them needs escaping). */
const UPDATED = `updated-${randomUUID()}`;
const FEED_ID = `id-${randomUUID()}`;
const MAX_CACHED_ANSWERS = 1000;

/**
 * `GET /infobutton`: an Infobutton responder (HL7 URL-based implementation guide) that an EHR
 * can call instead of, or beside, MedlinePlus Connect. It answers with the library's handouts
 * as an Atom feed (default), the same feed as JSON, or HTML (a redirect to the handout page
 * when exactly one matches). No match is an empty feed, never an error. Public, like the
 * library it serves. The rendered answer is kept per normalized request (codes, code systems,
 * display names, recipient, language, response type) until the library changes
 * (docs/infobutton.md "Caching"); each response still gets its own `updated` and feed id.
 */
export function infobuttonRouter(ctx: ServerContext): express.Router {
  const router = express.Router();
  const answers = new LibraryAnswerCache<Answer>(ctx.hooks, ctx.config.sharedStateRefreshMs, MAX_CACHED_ANSWERS);
  router.get('/infobutton', async (req, res) => {
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
    const request = parseInfobuttonRequest(new URLSearchParams(query));
    const key = JSON.stringify([request.criteria.map((c) => [c.code, c.codeSystem, c.system, c.displayName]), request.recipient, request.languageAvailable, request.responseType]);
    const answer = await answers.get(key, () => render(ctx, request));
    res.setHeader('Cache-Control', 'no-store');
    if (answer.redirect !== undefined) {
      res.redirect(302, answer.redirect);
      return;
    }
    const [before, between, after] = answer.parts;
    const body = between === undefined ? before : `${before}${new Date().toISOString()}${between}urn:uuid:${randomUUID()}${after}`;
    res.status(200).type(answer.contentType).send(body);
  });
  return router;
}

async function render(ctx: ServerContext, request: InfobuttonRequest): Promise<Answer> {
  const entries = await findKnowledge(ctx, request);
  const head = { ...feedHead(request, entries, publicOrigin(ctx.config.baseUrl)), updated: UPDATED, id: FEED_ID };
  if (request.responseType === 'text/html') {
    if (entries.length === 1) return { redirect: entries[0].link, contentType: '', parts: [] };
    return { redirect: undefined, contentType: 'text/html; charset=utf-8', parts: [listPage(head, entries)] };
  }
  const text = request.responseType === 'application/json' ? JSON.stringify(jsonFeed(head, entries)) : atomFeed(head, entries);
  const [before, rest] = text.split(UPDATED);
  const [between, after] = rest.split(FEED_ID);
  return { redirect: undefined, contentType: request.responseType === 'application/json' ? 'application/json; charset=utf-8' : 'text/xml; charset=utf-8', parts: [before, between, after] };
}
