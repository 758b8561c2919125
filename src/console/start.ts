/**
 * The console as the settings configure it: certificate sign-in always; ProConnect sign-in and
 * sessions when PASSERELLE_OIDC_* are set, with the client secret, the provider's CA and the
 * role-mapping file read and checked now, so that a mistake stops the start with a clear message.
 */
import fs from 'node:fs';
import type { Settings } from '../config/settings.js';
import { GatewayError } from '../domain/errors.js';
import type { Partner } from '../domain/partner.js';
import type { Logger } from '../log/logger.js';
import { loadRoleMapping } from './role-mapping.js';
import { createConsole, type WebConsole } from './routes.js';
import { loadSessionKey, SessionSealer } from './session.js';

function readSetting(file: string, variable: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new GatewayError('config_invalid', `Cannot read ${file} (${variable}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}. Fix the path or the file's permissions.`, { cause: err });
  }
}

export function consoleOf(settings: Settings, deps: { findPartner: (id: string) => Partner | undefined; logger: Logger; now: () => Date }): WebConsole {
  const { oidc } = settings;
  if (!oidc) return createConsole({ findPartner: deps.findPartner, logger: deps.logger });
  const clientSecret = readSetting(oidc.clientSecretFile, 'PASSERELLE_OIDC_CLIENT_SECRET_FILE').trim();
  if (clientSecret === '') throw new GatewayError('config_invalid', `${oidc.clientSecretFile} (PASSERELLE_OIDC_CLIENT_SECRET_FILE) is empty: put the client secret the provider gave you in it.`);
  const caPem = oidc.caFile === undefined ? undefined : readSetting(oidc.caFile, 'PASSERELLE_OIDC_CA_FILE');
  const mapping = loadRoleMapping(oidc.roleMappingFile, deps.findPartner);
  const sessions = new SessionSealer(loadSessionKey(settings.consoleSessionKeyFile), { idleSeconds: settings.consoleSessionIdleMinutes * 60, maxSeconds: settings.consoleSessionMaxHours * 3600 }, deps.now);
  deps.logger.info('console sign-in with OpenID Connect', { component: 'console', host: new URL(oidc.issuer).host });
  return createConsole({ findPartner: deps.findPartner, logger: deps.logger, sessions, oidc: { settings: oidc, clientSecret, caPem, mapping } });
}
