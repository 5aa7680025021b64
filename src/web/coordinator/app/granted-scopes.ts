/**
 * Whether granted SMART scopes allow searching Tasks: a v2 `user/` or `system/` scope on Task
 * or `*` with `s`, or a v1 `read` or `*`. Without a granted scope in the token response the
 * requested ones count.
 */
export function grantsTaskSearch(scope: string | undefined): boolean {
  if (scope === undefined) return true;
  return scope.split(/\s+/).some((s) => {
    const m = /^(?:user|system)\/(?:Task|\*)\.([a-z*]+)(?:\?.*)?$/.exec(s);
    return m !== null && (m[1].includes('s') || m[1] === 'read' || m[1] === '*');
  });
}
