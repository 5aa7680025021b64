const TYPE = /^[A-Z][A-Za-z]+$/;

/**
 * The methods the FHIR router answers at a path under the FHIR base (`/Patient/1`), for the
 * `Allow` header every 405 carries (RFC 9110 §15.5.6). An empty list: no method at all.
 */
export function allowedMethods(path: string): string[] {
  const segments = path.split('/').filter((s) => s !== '');
  const last = segments[segments.length - 1] ?? '';
  if (last.startsWith('$')) return ['GET', 'HEAD', 'POST'];
  const [type, second, third] = segments;
  const readOnly = ['GET', 'HEAD'];
  switch (segments.length) {
    case 0:
      return ['GET', 'HEAD', 'POST'];
    case 1:
      if (type === 'metadata' || type === '_history') return readOnly;
      if (!TYPE.test(type)) return [];
      return type === 'AuditEvent' ? ['GET', 'HEAD', 'POST'] : ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
    case 2:
      if (second === '_search') return ['POST'];
      if (second === '_history') return readOnly;
      if (!TYPE.test(type)) return [];
      return type === 'AuditEvent' ? readOnly : ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE'];
    case 3:
      return third === '_history' || (type === 'Patient' && TYPE.test(third)) ? readOnly : [];
    case 4:
      return third === '_history' ? readOnly : [];
    default:
      return [];
  }
}

/** The `Allow` header of a 405 at that path. */
export function allowHeader(path: string): Record<string, string> {
  return { Allow: allowedMethods(path).join(', ') };
}
