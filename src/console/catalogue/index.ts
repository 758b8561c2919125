/**
 * The console's catalogue: every sentence a page or the shell shows. `t` fills `{name}` placeholders;
 * an unknown key is a programming error and throws, so that a missing sentence fails the tests rather
 * than showing a key to a person.
 */
import { accueil } from './accueil.js';
import { api } from './api.js';
import { common } from './common.js';
import { connexion } from './connexion.js';
import { exploitation } from './exploitation.js';
import { journal } from './journal.js';
import { message } from './message.js';
import { statistiques } from './statistiques.js';

export const FR = Object.freeze({
  ...common,
  ...accueil,
  ...connexion,
  ...exploitation,
  ...journal,
  ...message,
  ...statistiques,
  ...api,
});

export type MessageKey = keyof typeof FR;

export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const template: string | undefined = FR[key];
  if (template === undefined) throw new Error(`console catalogue: no sentence for ${String(key)}`);
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}
