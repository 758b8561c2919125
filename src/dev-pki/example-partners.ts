/**
 * The partners of the example trust directory (interface contract, section 1) and the partners.json
 * written for them. Development PKI: the running gateway never imports this folder; it reads whatever
 * registry its trust directory holds.
 */
import type { MinimisationRule, Partner } from '../domain/partner.js';

export type PartnerSeed = Partner;

const SPE_AGENCY = {
  role: 'agency',
  sends: ['acknowledgement', 'status-update', 'referral'],
  // dossier and withdrawal come from the gateway itself (src/trust/gateway-partner.ts).
  receives: ['orientation', 'referral', 'dossier', 'withdrawal'],
} as const;

const HEALTH_CONSENT = { field: '/body/consent/healthData', equals: true } as const;
const HEALTH_CONSTRAINT = { forbiddenFields: ['/body/constraints/*/theme'], forbiddenValues: ['SANTE'] };

/**
 * Health data (RQTH and other BOE titles, a SANTE constraint, the consent that reveals them) is art. 9
 * data: only Cap emploi and France Travail receive it, and only with the person's consent (domain notes
 * 3.7 and 7.2; CNIL délib. 2023-005).
 */
const HEALTH_DATA_WITH_CONSENT: MinimisationRule[] = [
  { rule: 'health-data-with-consent-only', messageTypes: ['orientation'], forbiddenFields: ['/body/disability'], unless: HEALTH_CONSENT },
  { rule: 'health-constraint-with-consent-only', messageTypes: ['orientation'], ...HEALTH_CONSTRAINT, unless: HEALTH_CONSENT },
];
const NO_HEALTH_DATA: MinimisationRule[] = [
  { rule: 'health-data-cap-emploi-france-travail-only', messageTypes: ['orientation'], forbiddenFields: ['/body/disability', '/body/consent'] },
  { rule: 'health-constraint-cap-emploi-france-travail-only', messageTypes: ['orientation'], ...HEALTH_CONSTRAINT },
];
/** RSA and ARE rights go to the Ville de Paris and France Travail only (domain notes 4.1, "Droits"); `false` is no right. */
const NO_INCOME_SUPPORT_RIGHTS: MinimisationRule = {
  rule: 'income-support-rights-ville-de-paris-france-travail-only',
  messageTypes: ['orientation'],
  forbiddenFields: ['/body/situation/rsaBeneficiary', '/body/situation/unemploymentBenefitEntitled'],
  forbiddenValues: [true],
};

/** The partners of the interface contract, section 1. */
export const DEFAULT_PARTNERS: readonly PartnerSeed[] = Object.freeze([
  {
    id: 'ofii-paris',
    name: 'OFII, direction territoriale de Paris',
    role: 'agency',
    sends: ['orientation', 'opt-out'],
    receives: ['acknowledgement', 'status-update', 'expiry'],
    eligibility: [],
    minimisation: [],
  },
  { id: 'france-travail-paris', name: 'France Travail, direction territoriale de Paris', ...spe(), eligibility: [], minimisation: HEALTH_DATA_WITH_CONSENT },
  {
    id: 'mission-locale-paris',
    name: 'Mission Locale de Paris',
    ...spe(),
    eligibility: [{ rule: 'mission-locale-age', kind: 'age-between', min: 16, max: 25, messageTypes: ['orientation'] }],
    minimisation: [...NO_HEALTH_DATA, NO_INCOME_SUPPORT_RIGHTS],
  },
  {
    id: 'cap-emploi-75',
    name: 'Cap emploi 75',
    ...spe(),
    eligibility: [{ rule: 'cap-emploi-disability', kind: 'recognised-disability-with-consent', messageTypes: ['orientation'] }],
    minimisation: [...HEALTH_DATA_WITH_CONSENT, NO_INCOME_SUPPORT_RIGHTS],
  },
  {
    id: 'epec-paris',
    name: 'Ensemble Paris Emploi Compétences (PLIE)',
    ...spe(),
    eligibility: [],
    minimisation: [...NO_HEALTH_DATA, NO_INCOME_SUPPORT_RIGHTS],
  },
  { id: 'ville-de-paris', name: "Ville de Paris, services de l'emploi", ...spe(), eligibility: [], minimisation: NO_HEALTH_DATA },
  {
    id: 'ftda-paris',
    name: "France terre d'asile",
    ...spe(),
    eligibility: [
      {
        rule: 'ftda-international-protection',
        kind: 'residence-grounds-in',
        grounds: ['PI_REFUGIE', 'PI_PROTECTION_SUBSIDIAIRE', 'PI_APATRIDE', 'PI_FAMILLE_BPI'],
        messageTypes: ['orientation'],
      },
    ],
    minimisation: [...NO_HEALTH_DATA, NO_INCOME_SUPPORT_RIGHTS],
  },
  { id: 'prefecture-paris', name: 'Préfecture de Paris, comité de pilotage', role: 'statistics', sends: [], receives: [], eligibility: [], minimisation: [] },
  { id: 'auditor', name: 'Auditeur (délégué à la protection des données)', role: 'auditor', sends: [], receives: [], eligibility: [], minimisation: [] },
]);

/** The partners.json the generator writes for these partners (the committed certs.example/partners.json for the defaults). */
export function registryJson(partners: readonly PartnerSeed[]): string {
  return `${JSON.stringify({ version: 1, partners }, null, 2)}\n`;
}

function spe(): Pick<Partner, 'role' | 'sends' | 'receives'> {
  return { role: SPE_AGENCY.role, sends: [...SPE_AGENCY.sends], receives: [...SPE_AGENCY.receives] };
}
