import { Router, type Request, type Response } from 'express';
import type { Parameters, Resource } from 'fhir/r4';
import { FhirError } from '../fhir/fhir-error';
import { informationOutcome, issue } from '../fhir/operation-outcome';
import { asResource } from '../fhir/resource-body';
import { classify, type Interaction } from '../fhir/interaction';
import { shapeRead } from '../fhir/summary';
import { patientCompartmentFilter } from '../fhir/search/compartment';
import { assertTemporalParameters, type Operation } from '../operations/operation';
import type { ServerContext } from '../services/server-context';
import { storedVersionText, type ResourceService, type WriteResult } from '../services/resource-service';
import { historyBundle } from '../services/history-service';
import { httpDate, sendJson, versionETag } from './fhir-response';
import { allowHeader } from './allowed-methods';
import { patchOf } from './patch-body';
import { requireJsonBody } from './negotiation';
import { preferences } from './prefer';

/** Ordered query parameters, repeated ones kept (URLSearchParams keeps order). */
export function queryPairs(req: Request): [string, string][] {
  const i = req.originalUrl.indexOf('?');
  return i < 0 ? [] : [...new URLSearchParams(req.originalUrl.slice(i + 1))];
}

function queryString(req: Request): string | undefined {
  const i = req.originalUrl.indexOf('?');
  const q = i < 0 ? '' : req.originalUrl.slice(i + 1);
  const params = new URLSearchParams(q);
  params.delete('_format');
  params.delete('_pretty');
  const s = params.toString();
  return s === '' ? undefined : s;
}

function isPretty(req: Request): boolean {
  return req.query._pretty === 'true';
}

/**
 * The interaction of a request under the FHIR base: the one the security middleware put in
 * res.locals, or classified here (AUTH=off).
 */
function interactionOf(req: Request): Interaction {
  const known = (req.res?.locals.security as { request?: Interaction } | undefined)?.request;
  if (known) return known;
  const i = req.originalUrl.indexOf('?');
  return classify(req.method, req.path, i < 0 ? '' : req.originalUrl.slice(i + 1));
}

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** 405 with the Allow header of the URL (R4 http.html: an interaction the URL does not support). */
function methodNotAllowed(req: Request): never {
  const allow = allowHeader(req.path);
  throw new FhirError(405, [issue('error', 'not-supported', `${req.method} is not supported at this URL; it allows ${allow.Allow || 'no method'}`)], allow);
}

export function fhirRouter(ctx: ServerContext): Router {
  const router = Router();
  const svc = (res: Response): ResourceService => (res.locals.service as ResourceService | undefined) ?? ctx.service;

  const sendWrite = (req: Request, res: Response, result: WriteResult) => {
    const location = `${ctx.config.baseUrl}/${result.resource.resourceType}/${result.resource.id}/_history/${result.versionId}`;
    res.setHeader('ETag', versionETag(result.versionId));
    res.setHeader('Last-Modified', httpDate(result.lastUpdated));
    if (result.status === 201) res.setHeader('Location', location);
    else res.setHeader('Content-Location', location);
    const prefer = preferences(req);
    if (prefer.return === 'minimal') {
      res.status(result.status).end();
      return;
    }
    if (prefer.return === 'OperationOutcome') {
      const msg = result.changed ? storedVersionText(result) : 'No change: the stored version is the same';
      sendJson(res, result.status, informationOutcome(msg), isPretty(req));
      return;
    }
    sendJson(res, result.status, result.content, isPretty(req));
  };

  const search = async (req: Request, res: Response, types: string[], path: string, params: [string, string][]) => {
    const prefer = preferences(req);
    const { request, warnings } = ctx.searchService.parse(types, params, prefer.strict);
    const result = await ctx.searchService.search(svc(res).repository, path, request, warnings);
    sendJson(res, 200, result.body, isPretty(req));
  };

  const runOperation = async (req: Request, res: Response, { operation: name, level, resourceType: type, id }: Interaction) => {
    const operation: Operation | undefined = ctx.operations.get(name!);
    if (!operation || !operation[level!] || (type !== undefined && operation.resourceTypes !== '*' && !operation.resourceTypes.includes(type))) {
      throw FhirError.notFound(`Operation $${name} is not supported ${type ? `on ${type}` : 'at the system level'}`);
    }
    if (type !== undefined) svc(res).assertType(type);
    const method = req.method === 'POST' ? 'POST' : 'GET';
    if (method === 'GET' && operation.affectsState) {
      throw new FhirError(405, [issue('error', 'not-supported', `$${name} changes state and must be invoked with POST`)], { Allow: 'POST' });
    }
    let parameters: Parameters = { resourceType: 'Parameters', parameter: [] };
    let body: Resource | undefined;
    if (method === 'POST') {
      const parsed = asResource(requireJsonBody(req));
      if (parsed.resourceType === 'Parameters') parameters = parsed as Parameters;
      else body = parsed;
    }
    for (const [k, v] of queryPairs(req)) {
      if (k === '_format' || k === '_pretty') continue;
      parameters.parameter = [...(parameters.parameter ?? []), { name: k, valueString: v }];
    }
    assertTemporalParameters(parameters);
    const result = await operation.execute({ resourceType: type, id, parameters, body, service: svc(res), method });
    sendJson(res, result.status, result.body, isPretty(req));
  };

  const capabilities = (req: Request, res: Response) => sendJson(res, 200, shapeRead(JSON.stringify(ctx.capabilityStatement()), queryPairs(req)), isPretty(req));

  const batch = async (req: Request, res: Response) => {
    const bundle = await ctx.bundleService.process(svc(res), requireJsonBody(req), preferences(req).return);
    sendJson(res, 200, bundle, isPretty(req));
  };

  const searchSystem = async (req: Request, res: Response) => {
    const pairs = queryPairs(req);
    const typeParam = pairs.find(([k]) => k === '_type')?.[1];
    if (typeParam === undefined) throw FhirError.badRequest('A search across types needs _type=Type1,Type2', '_type');
    const types = typeParam.split(',').map((t) => t.trim());
    for (const t of types) svc(res).assertType(t);
    await search(req, res, types, '', pairs);
  };

  const searchType = async (req: Request, res: Response, type: string, posted: boolean) => {
    svc(res).assertType(type);
    if (!posted) {
      await search(req, res, [type], type, queryPairs(req));
      return;
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
    if (contentType !== 'application/x-www-form-urlencoded') {
      throw FhirError.of(415, 'not-supported', 'POST _search takes application/x-www-form-urlencoded', 'Content-Type');
    }
    const body = typeof req.body === 'string' ? req.body : '';
    await search(req, res, [type], type, [...queryPairs(req), ...new URLSearchParams(body)]);
  };

  // Compartment search: [base]/Patient/[id]/[type]?… (R4 http.html#vsearch, Patient compartment).
  const searchCompartment = async (req: Request, res: Response, target: string, patientId: string) => {
    svc(res).assertType(target);
    const compartment = patientCompartmentFilter(target, patientId, ctx.config.baseUrl);
    const { request, warnings } = ctx.searchService.parse([target], queryPairs(req), preferences(req).strict);
    request.filters = [compartment, ...request.filters];
    const result = await ctx.searchService.search(svc(res).repository, `Patient/${patientId}/${target}`, request, warnings);
    sendJson(res, 200, result.body, isPretty(req));
  };

  const history = async (req: Request, res: Response, resourceType?: string, id?: string) => {
    if (resourceType !== undefined) svc(res).assertType(resourceType);
    const bundle = await historyBundle(svc(res).repository, { resourceType, id, params: queryPairs(req) }, ctx.historySettings);
    sendJson(res, 200, bundle, isPretty(req));
  };

  const create = async (req: Request, res: Response, type: string) => {
    svc(res).assertType(type);
    const resource = asResource(requireJsonBody(req), type);
    sendWrite(req, res, await svc(res).create(resource, { ifNoneExist: header(req, 'if-none-exist') }));
  };

  const criteriaOf = (req: Request, what: string): string => {
    const criteria = queryString(req);
    if (criteria === undefined) throw FhirError.badRequest(`${req.method} on a type needs search criteria (${what})`);
    return criteria;
  };

  const update = async (req: Request, res: Response, type: string, id: string | undefined) => {
    svc(res).assertType(type);
    const criteria = id === undefined ? criteriaOf(req, 'conditional update') : undefined;
    const resource = asResource(requireJsonBody(req), type);
    const ifMatch = header(req, 'if-match');
    sendWrite(req, res, criteria !== undefined ? await svc(res).conditionalUpdate(type, criteria, resource, { ifMatch }) : await svc(res).update(type, id!, resource, { ifMatch }));
  };

  const patch = async (req: Request, res: Response, type: string, id: string | undefined) => {
    svc(res).assertType(type);
    const ifMatch = header(req, 'if-match');
    if (id === undefined) sendWrite(req, res, await svc(res).conditionalPatch(type, criteriaOf(req, 'conditional patch'), patchOf(req), { ifMatch }));
    else sendWrite(req, res, await svc(res).patch(type, id, patchOf(req), { ifMatch }));
  };

  const remove = async (req: Request, res: Response, type: string, id: string | undefined) => {
    if (id === undefined) {
      svc(res).assertType(type);
      await svc(res).conditionalDelete(type, criteriaOf(req, 'conditional delete'));
    } else {
      await svc(res).delete(type, id, { ifMatch: header(req, 'if-match') });
    }
    res.status(204).end();
  };

  const read = async (req: Request, res: Response, type: string, id: string) => {
    const stored = await svc(res).read(type, id);
    res.setHeader('ETag', versionETag(stored.versionId));
    res.setHeader('Last-Modified', httpDate(stored.lastUpdated));
    const ifNoneMatch = header(req, 'if-none-match');
    if (ifNoneMatch !== undefined && ifNoneMatch.replace(/^W\//, '') === `"${stored.versionId}"`) {
      res.status(304).end();
      return;
    }
    sendJson(res, 200, shapeRead(stored.content, queryPairs(req)), isPretty(req));
  };

  const vread = async (req: Request, res: Response, type: string, id: string, versionId: string) => {
    const row = await svc(res).vread(type, id, versionId);
    res.setHeader('ETag', versionETag(row.versionId));
    res.setHeader('Last-Modified', httpDate(row.lastUpdated));
    sendJson(res, 200, shapeRead(row.content!, queryPairs(req)), isPretty(req));
  };

  // The route table is classify (fhir/interaction.ts); this only maps each interaction to its service call.
  router.use(async (req, res) => {
    const i = interactionOf(req);
    const { resourceType: type, id } = i;
    switch (i.kind) {
      case 'operation':
        return runOperation(req, res, i);
      case 'capabilities':
        return capabilities(req, res);
      case 'batch':
      case 'transaction':
        return batch(req, res);
      case 'search-system':
        return searchSystem(req, res);
      case 'search-type':
        return i.compartment ? searchCompartment(req, res, type!, i.compartment.id) : searchType(req, res, type!, i.posted === true);
      case 'history-system':
      case 'history-type':
      case 'history-instance':
        return history(req, res, type, id);
      case 'create':
        return create(req, res, type!);
      case 'update':
        return update(req, res, type!, id);
      case 'patch':
        return patch(req, res, type!, id);
      case 'delete':
        return remove(req, res, type!, id);
      case 'read':
        return read(req, res, type!, id!);
      case 'vread':
        return vread(req, res, type!, id!, i.versionId!);
      case 'unknown':
        if (i.malformed) throw FhirError.badRequest('The URL is not valid percent-encoding');
        return methodNotAllowed(req);
    }
  });
  return router;
}

