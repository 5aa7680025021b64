import express from 'express';
import type { ServerContext } from '../../services/server-context';
import { atomFeed, feedHead, jsonFeed, listPage } from './feed';
import { parseInfobuttonRequest } from './infobutton-request';
import { findKnowledge } from './knowledge';
import { publicOrigin } from '../public-origin';

/**
 * `GET /infobutton`: an Infobutton responder (HL7 URL-based implementation guide) that an EHR
 * can call instead of, or beside, MedlinePlus Connect. It answers with the library's handouts
 * as an Atom feed (default), the same feed as JSON, or HTML (a redirect to the handout page
 * when exactly one matches). No match is an empty feed, never an error. Public, like the
 * library it serves.
 */
export function infobuttonRouter(ctx: ServerContext): express.Router {
  const router = express.Router();
  router.get('/infobutton', async (req, res) => {
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
    const request = parseInfobuttonRequest(new URLSearchParams(query));
    const entries = await findKnowledge(ctx, request);
    const origin = publicOrigin(ctx.config.baseUrl);
    const head = feedHead(request, entries, origin);
    res.setHeader('Cache-Control', 'no-store');
    if (request.responseType === 'text/html') {
      if (entries.length === 1) {
        res.redirect(302, entries[0].link);
        return;
      }
      res.status(200).type('text/html; charset=utf-8').send(listPage(head, entries));
      return;
    }
    if (request.responseType === 'application/json') {
      res.status(200).type('application/json; charset=utf-8').send(JSON.stringify(jsonFeed(head, entries)));
      return;
    }
    res.status(200).type('text/xml; charset=utf-8').send(atomFeed(head, entries));
  });
  return router;
}
