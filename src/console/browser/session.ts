/** Who is signed in (GET /console/session): the partner the person acts for, never the person. */
import type { MessageKey } from '../catalogue/index.js';
import { getJson } from './api.js';

export interface ConsoleSession {
  signedIn: true;
  via: 'certificate' | 'oidc';
  partner: { id: string; name: string; role: 'agency' | 'statistics' | 'auditor' | 'operator' };
  /** The pages of the role, in navigation order, with their catalogue keys. */
  pages: Array<{ slug: string; title: MessageKey; summary?: MessageKey }>;
}

export function currentSession(): Promise<ConsoleSession> {
  return getJson<ConsoleSession>('/console/session');
}

/** The `<main>` the shell gave the page. */
export function pageRoot(): HTMLElement {
  const main = document.getElementById('contenu');
  if (!main) throw new Error('console: the shell has no #contenu');
  return main;
}
