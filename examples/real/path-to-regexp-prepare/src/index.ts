// Stand-in source (ours, not path-to-regexp's): the root `prepare` builds it with `npm run build`,
// and the test requires the project from its own folder afterwards, as its users do.
export function pathToRegexp(path: string): RegExp {
  const pattern = path
    .split('/')
    .map((part) => (part.startsWith(':') ? '([^/]+)' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${pattern}$`);
}

export function match(path: string, url: string): Record<string, string> | false {
  const names = path.split('/').filter((part) => part.startsWith(':')).map((part) => part.slice(1));
  const found = pathToRegexp(path).exec(url);
  if (!found) return false;
  const params: Record<string, string> = {};
  names.forEach((name, index) => (params[name] = decodeURIComponent(found[index + 1]!)));
  return params;
}
