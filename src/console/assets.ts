/**
 * The design system's files, served by the gateway itself (no CDN): DSFR's stylesheets, fonts, icons
 * and JavaScript, DSFR Chart's web components, and the pages' bundles. Only the folders a page uses
 * are reachable, and none holds personal data, so they may be cached.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { GatewayError } from '../domain/errors.js';
import { consoleBundles } from './bundles.js';

const require = createRequire(import.meta.url);

/**
 * node_modules/<name>/dist, searched where Node searches packages (their exports do not all expose
 * package.json).
 */
function distOf(name: string): string {
  for (const folder of require.resolve.paths(name) ?? []) {
    const candidate = path.join(folder, name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return path.join(candidate, 'dist');
  }
  throw new GatewayError('config_invalid', `The package ${name} is not installed: run npm ci.`);
}

/** A day: DSFR's files change with the package's version, which a gateway upgrade brings. */
const DESIGN_SYSTEM_MAX_AGE = 86_400;

/**
 * DSFR's files a page needs: the stylesheets and the ES module at the top of dist, the fonts, the
 * icons (SVG) and their utility stylesheets, the pictograms, the favicons. Not the source maps, the
 * legacy (nomodule) build, nor the component sources.
 */
const DSFR_FILES = /^\/(?:dsfr(?:\.print)?\.min\.css|dsfr\.module\.min\.js|fonts\/[\w.-]+\.woff2?|icons\/[\w-]+\/[\w-]+\.svg|utility\/(?:utility|icons(?:\/[\w-]+)?\/[\w-]+)\.min\.css|artwork\/(?:[\w-]+\/)*[\w-]+\.svg|favicon\/[\w.-]+\.(?:svg|png|ico|webmanifest))$/;

function allowlisted(files: RegExp, root: string): express.RequestHandler {
  const serve = express.static(root, {
    index: false,
    dotfiles: 'deny',
    fallthrough: false,
    redirect: false,
    setHeaders: (res) => res.setHeader('Cache-Control', `public, max-age=${DESIGN_SYSTEM_MAX_AGE}`),
  });
  return (req: Request, res: Response, next: NextFunction) => {
    if (!files.test(req.path)) return next();
    serve(req, res, (err?: unknown) => next(isNotFound(err) ? undefined : err));
  };
}

function isNotFound(err: unknown): boolean {
  return (err as { status?: number } | undefined)?.status === 404;
}

export function designSystemAssets(): express.Router {
  const router = express.Router();
  router.use('/dsfr', allowlisted(DSFR_FILES, distOf('@gouvfr/dsfr')));
  router.get('/assets/:name', async (req, res, next) => {
    try {
      const bundle = (await consoleBundles()).get(String(req.params['name']));
      if (!bundle) return next();
      res.setHeader('Content-Type', bundle.contentType);
      // Shared chunks are named by their content's hash; the pages' entries keep their name.
      res.setHeader('Cache-Control', /^chunk-/.test(String(req.params['name'])) ? 'public, max-age=31536000, immutable' : 'no-cache');
      res.send(bundle.body);
    } catch (err) {
      next(err);
    }
  });
  return router;
}
