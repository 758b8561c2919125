/**
 * The security headers of every console answer. The Content-Security-Policy allows only the gateway's
 * own scripts, styles, fonts and images (no inline script, no inline style attribute, no CDN), calls to
 * the gateway only, and no framing (clickjacking). DSFR works under it: its JavaScript sets styles
 * through the DOM (`element.style`), which style-src does not govern, and its stylesheet's icons are
 * `data:` images, hence `img-src 'self' data:`.
 */
import type { NextFunction, Request, Response } from 'express';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  // Pages and their data may be personal to the person signed in: never kept by a cache. Assets
  // without personal data override this (assets.ts).
  res.setHeader('Cache-Control', 'no-store');
  next();
}
