/**
 * Fills `{region}` in a service endpoint template with the project's region and checks that
 * the result is an http(s) URL. Returns undefined when it is not (a region such as "a/b" would
 * otherwise move the call to another host or path).
 */
export function resolveEndpoint(template: string, region: string): string | undefined {
  if (!/^[A-Za-z0-9-]+$/.test(region) && template.includes('{region}')) return undefined;
  const endpoint = template.replaceAll('{region}', region);
  try {
    const url = new URL(endpoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
      return undefined;
    }
    return endpoint.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}
