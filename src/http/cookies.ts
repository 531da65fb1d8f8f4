// Reading and writing the HttpOnly, SameSite=Strict cookies of the API (the console's refresh
// token, the queue board's session): one place for the attributes every such cookie carries.

/** The value of cookie `name` in a Cookie header, if present. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

export interface CookieAttributes {
  /** Sent only to this path and below. */
  path: string;
  /** 0 clears the cookie. */
  maxAgeSeconds: number;
  /** Production: Secure (HTTPS only). */
  secure: boolean;
}

/** A Set-Cookie value: HttpOnly (no script reads it) and SameSite=Strict (no cross-site request carries it). */
export function httpOnlyCookie(name: string, value: string, a: CookieAttributes): string {
  return `${name}=${value}; Path=${a.path}; Max-Age=${a.maxAgeSeconds}; HttpOnly; SameSite=Strict${a.secure ? '; Secure' : ''}`;
}
