// sessionStorage: the token lives as long as this tab, and leaves the address bar at once.
const tokenKey = 'firstcome.shopperToken';

/**
 * The shopper's bearer token. The shop links here with `#token=…` (a fragment never reaches a server or
 * a Referer); it is kept in this tab and removed from the address, so a shared or bookmarked link does not
 * carry it. Undefined when there is none: behind a gateway that adds the identity (AUTH_MODE=trusted-header)
 * none is needed.
 */
export function takeShopperToken(): string | undefined {
  const fromLink = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromLink) {
    sessionStorage.setItem(tokenKey, fromLink);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(tokenKey) ?? undefined;
}

/** When an admission token (a JWT) stops being good, from its `exp`; undefined when it cannot be read. */
export function expiryOf(token: string): number | undefined {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = atob(payload.replaceAll('-', '+').replaceAll('_', '/'));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
