import type { IncomingMessage } from 'node:http';
import type { Bundle, Parameters } from 'fhir/r4';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { callerAddress } from '../http/caller-address';
import { classify, type Interaction, type Permission } from '../fhir/interaction';
import { isResourceType, RESOURCE_TYPES } from '../fhir/resource-types';
import type { Operation } from '../operations/operation';
import type { IndexValueExtractor } from '../fhir/search/extract-index-values';
import type { ServiceDependencies } from '../services/resource-service';
import type { SearchService } from '../services/search-service';
import { AccessPolicy } from './access-policy';
import { RequestAudit, type AuditAction, type AuditTrail } from './audit';
import { forbidden, tooManyRequests, unauthorized } from './auth-errors';
import type { ClientStorageCap } from './client-storage';
import { AuthorizedResourceService } from './authorized-resource-service';
import type { Principal } from './principal';
import type { TokenBucketLimiter } from './rate-limit';
import { RequestAccess } from './request-access';
import type { TokenVerifier } from './token-verifier';

/** The rate-limit key of an anonymous caller, the same on the fast path and through the middleware. */
export function ipRateKey(req: IncomingMessage): string {
  return `ip:${callerAddress(req)}`;
}

/** What the security middleware knows of one /fhir request (res.locals.security). */
export interface SecurityState {
  /** The interaction, as the FHIR router will serve it (the same classify). */
  request: Interaction;
  principal: Principal | undefined;
  audit: RequestAudit;
  access: RequestAccess | undefined;
  /** Reads and searches of the public types only: not patient data, not audited. */
  publicInteraction: boolean;
  /** The caller's rate-limit key (client, or address without a token). */
  rateKey: string;
}

function stateOf(res: Response): SecurityState | undefined {
  return res.locals.security as SecurityState | undefined;
}

function queryOf(req: Request): string | undefined {
  const i = req.originalUrl.indexOf('?');
  return i < 0 ? undefined : req.originalUrl.slice(i + 1);
}

function describe(request: Interaction): string {
  if (request.kind === 'operation') return `Operation $${request.operation ?? ''}`;
  return `${request.kind.replace(/-.*/, '')} ${request.resourceType ?? ''}`.trim().replace(/^./, (c) => c.toUpperCase());
}

/**
 * Whether the interaction may be answered without a token and without an AuditEvent: the
 * CapabilityStatement, and reads and searches of public types only.
 */
export function isPublicInteraction(request: Interaction, publicTypes: ReadonlySet<string>): boolean {
  if (request.kind === 'unknown') return false;
  if (request.anonymous === 'always') return true;
  if (request.anonymous === 'never') return false;
  const types = request.scope?.resourceTypes ?? [];
  return types.length > 0 && types.every((t) => publicTypes.has(t));
}

/**
 * The error handler answers refusals and failures with an OperationOutcome; its first
 * diagnostics become the AuditEvent's reason (outcomeDesc).
 */
function keepFailureReason(res: Response, audit: RequestAudit): void {
  const send = res.send.bind(res);
  res.send = (body?: unknown) => {
    if (res.statusCode >= 400 && audit.failure === undefined && typeof body === 'string' && body.startsWith('{"resourceType":"OperationOutcome"')) {
      try {
        const diagnostics = (JSON.parse(body) as { issue?: { diagnostics?: string }[] }).issue?.[0]?.diagnostics;
        if (typeof diagnostics === 'string') audit.failure = diagnostics;
      } catch {
        // Not JSON after all: no reason to keep.
      }
    }
    return send(body);
  };
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export interface AuthenticateDependencies {
  verifier: TokenVerifier;
  limiter: TokenBucketLimiter;
  publicTypes: ReadonlySet<string>;
  auditTrail: AuditTrail;
  /** Checks of a verified token against stored data (a patient link's Task still open). */
  checkPrincipal?: (principal: Principal) => Promise<void>;
}

/**
 * First on every /fhir request, before its body is read: verifies the bearer token (401
 * on a bad one), applies the per-client rate limit (429) and arranges the request's
 * AuditEvent for when the response is sent.
 */
export function authenticate(deps: AuthenticateDependencies): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const request = classify(req.method, req.path, queryOf(req));
    const publicInteraction = isPublicInteraction(request, deps.publicTypes);
    const audit = new RequestAudit({
      requestId: String(res.locals.requestId ?? ''),
      method: req.method,
      path: req.originalUrl.split('?')[0],
      query: queryOf(req),
      ip: callerAddress(req),
    });
    const state: SecurityState = { request, principal: undefined, audit, access: undefined, publicInteraction, rateKey: ipRateKey(req) };
    res.locals.security = state;
    let recorded = false;
    // 'close' fires for every response, also one the client abandoned half-way.
    res.on('close', () => {
      if (recorded) return;
      recorded = true;
      recordAudit(deps.auditTrail, state, res.statusCode);
    });
    keepFailureReason(res, audit);
    // Anything but the public library may be patient data: no shared or browser cache keeps it.
    if (!publicInteraction) res.setHeader('Cache-Control', 'no-store');

    const header = req.headers.authorization;
    const ipKey = ipRateKey(req);
    if (header !== undefined) {
      const match = BEARER.exec(header);
      if (!match) {
        const retryAfter = deps.limiter.take(ipKey);
        if (retryAfter !== undefined) throw tooManyRequests(retryAfter);
        throw unauthorized('The Authorization header must be "Bearer <access token>"', true);
      }
      try {
        state.principal = await deps.verifier.verify(match[1]);
        await deps.checkPrincipal?.(state.principal);
      } catch (error) {
        // Failed attempts count against the caller's address.
        const retryAfter = deps.limiter.take(ipKey);
        if (retryAfter !== undefined) throw tooManyRequests(retryAfter);
        throw error;
      }
    }
    if (state.principal) state.rateKey = `client:${state.principal.issuer} ${state.principal.clientId}`;
    const retryAfter = deps.limiter.take(state.rateKey);
    if (retryAfter !== undefined) throw tooManyRequests(retryAfter);
    // Without a token only the public reads pass: refuse the rest before reading any body.
    const knownType = request.resourceType === undefined || isResourceType(request.resourceType);
    if (!state.principal && !publicInteraction && request.kind !== 'unknown' && knownType) {
      throw unauthorized(`${describe(request)} needs a bearer access token`, false);
    }
    next();
  };
}

export interface AuthorizeDependencies {
  publicTypes: ReadonlySet<string>;
  extractor: IndexValueExtractor;
  /** The plain search service: parses granular scope queries. */
  search: SearchService;
  /** The dependencies of the context's resource service. */
  serviceDependencies: ServiceDependencies;
  auditTrail: AuditTrail;
  baseUrl: () => string;
  operations: ReadonlyMap<string, Operation>;
  /** The rate limiter of authenticate: each Bundle entry counts as a request. */
  limiter: TokenBucketLimiter;
  /** What one client may store (CLIENT_STORAGE_MAX_MB). */
  storageCap?: ClientStorageCap;
}

/**
 * After the body is read: builds the request's access (res.locals.service becomes an
 * AuthorizedResourceService, whose Repository carries the access as its policy) and refuses
 * early what the route alone shows to be out of reach. The precise checks, against stored
 * data, happen in the Repository and the service.
 */
export function authorize(deps: AuthorizeDependencies): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const state = stateOf(res);
    if (!state) throw new Error('authorize runs after authenticate');
    const policy = new AccessPolicy(state.principal, deps.publicTypes);
    const access = new RequestAccess(policy, state.audit, { extractor: deps.extractor, search: deps.search, baseUrl: deps.baseUrl() });
    state.access = access;
    const service = new AuthorizedResourceService(deps.serviceDependencies, access, deps.auditTrail, deps.storageCap);
    res.locals.service = service;
    await precheck(state, policy, service, req, deps.operations, deps.limiter);
    next();
  };
}

/** How a refusal names what was asked, by the permission it needed. */
const ACTION_NAMES: Record<Permission, string> = { c: 'Create', r: 'Read', u: 'Update', d: 'Delete', s: 'Search' };

async function precheck(
  state: SecurityState,
  policy: AccessPolicy,
  service: AuthorizedResourceService,
  req: Request,
  operations: ReadonlyMap<string, Operation>,
  limiter: TokenBucketLimiter,
): Promise<void> {
  const { kind, resourceType, id, scope } = state.request;
  // Unknown types are the router's 404, not a question of authorization.
  if (resourceType !== undefined && !isResourceType(resourceType)) return;
  switch (kind) {
    case 'read':
    case 'vread':
    case 'search-type':
    case 'search-system':
    case 'create':
    case 'update':
    case 'patch':
    case 'delete':
      for (const t of scope!.resourceTypes) if (isResourceType(t)) policy.require(t, scope!.permission, ACTION_NAMES[scope!.permission]);
      return;
    case 'history-instance':
      if (!policy.authenticated) throw policy.denial('History');
      policy.require(resourceType!, scope!.permission, ACTION_NAMES[scope!.permission]);
      return;
    case 'history-type':
      if (!policy.authenticated) throw policy.denial('History');
      policy.requireUnrestricted(resourceType!, scope!.permission, 'Type history');
      return;
    case 'history-system':
      if (!policy.authenticated) throw policy.denial('System history');
      return;
    case 'operation': {
      const name = `$${state.request.operation}`;
      if (!policy.authenticated) throw policy.denial(`Operation ${name}`);
      if (operations.get(state.request.operation ?? '')?.affectsState) {
        // Operations that change state wholesale ($reindex) are for clients that may change everything they touch.
        for (const t of resourceType !== undefined ? [resourceType] : [...RESOURCE_TYPES].filter((t) => t !== 'AuditEvent')) {
          policy.requireUnrestricted(t, 'u', `Operation ${name}`);
        }
      }
      if (resourceType !== undefined && !policy.isPublic(resourceType) && policy.anyAccess(resourceType).kind === 'none') {
        throw policy.denial(`Operation ${name} on ${resourceType}`);
      }
      if (req.method === 'POST') checkInlineDefinitions(policy, state.request.operation ?? '', req.body);
      // An instance operation starts by reading its instance: within the grant, or 404.
      if (resourceType !== undefined && id !== undefined) await service.read(resourceType, id);
      state.audit.query = queryOf(req);
      return;
    }
    case 'batch':
      if (!policy.authenticated) throw policy.denial('Batch and transaction');
      checkBundle(state, limiter, req.body);
      return;
    default:
      return;
  }
}

/** The body as JSON, or undefined when it is not (the router answers a malformed body). */
function parsedBody(body: unknown): unknown {
  try {
    return JSON.parse(typeof body === 'string' ? body : '');
  } catch {
    return undefined;
  }
}

/**
 * A batch or transaction: every entry is authorized by the request's service and repository
 * exactly like the direct request it stands for (reads and searches included). Here it is
 * only named, and each entry beyond the first counts against the caller's rate limit like a
 * request of its own.
 */
function checkBundle(state: SecurityState, limiter: TokenBucketLimiter, body: unknown): void {
  const bundle = parsedBody(body) as Bundle | undefined;
  if (bundle?.type === 'transaction') state.request = { ...state.request, kind: 'transaction' };
  const entries = Array.isArray(bundle?.entry) ? bundle.entry.length : 0;
  // All of the entries at once or none (a refused Bundle leaves the caller's allowance as it was).
  const retryAfter = entries > 1 ? limiter.take(state.rateKey, entries - 1) : undefined;
  if (retryAfter !== undefined) throw tooManyRequests(retryAfter);
}

/** Definitions that make the server evaluate what they contain (FHIRPath conditions, expressions, invariants). */
const DEFINITION_TYPES = new Set(['PlanDefinition', 'ActivityDefinition', 'Questionnaire', 'SearchParameter', 'StructureDefinition', 'Library', 'Measure']);

/**
 * An operation given a definition inline (`$apply` with a `planDefinition` resource) runs
 * the client's FHIRPath: only for a caller that could store that definition itself.
 */
function checkInlineDefinitions(policy: AccessPolicy, operation: string, body: unknown): void {
  const parameters = parsedBody(body) as Parameters | undefined;
  if (parameters?.resourceType !== 'Parameters' || !Array.isArray(parameters.parameter)) return;
  for (const p of parameters.parameter) {
    const type = p?.resource?.resourceType;
    if (typeof type !== 'string' || !DEFINITION_TYPES.has(type)) continue;
    if (policy.access(type, 'c').kind !== 'all' && policy.access(type, 'u').kind !== 'all') {
      throw forbidden(`Operation $${operation} with an inline ${type} (parameter ${p.name}) needs a scope that writes ${type}, e.g. system/${type}.cu`);
    }
  }
}

const ACTIONS: Partial<Record<Interaction['kind'], AuditAction>> = {
  create: 'C',
  update: 'U',
  patch: 'U',
  delete: 'D',
  operation: 'E',
  batch: 'E',
  transaction: 'E',
};

/** The AuditEvent of a request, when its response has been sent (writes are audited as they happen). */
function recordAudit(trail: AuditTrail, state: SecurityState, status: number): void {
  const { request, audit } = state;
  if (request.kind === 'capabilities' || request.kind === 'unknown' || status === 429) return;
  if (state.publicInteraction && !audit.touchedProtected) return;
  const isWrite = ['create', 'update', 'patch', 'delete'].includes(request.kind);
  if (isWrite && status < 400 && audit.writesAudited > 0) return;
  trail.record({
    principal: state.principal,
    request: audit.request,
    action: ACTIONS[request.kind] ?? 'R',
    interaction: request.kind,
    status,
    failure: audit.failure,
    entities: audit.entities,
    patients: [...audit.patients],
    query: request.kind.startsWith('search') || request.kind === 'operation' ? audit.query ?? audit.request.query : undefined,
  });
}
