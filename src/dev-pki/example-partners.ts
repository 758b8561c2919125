/**
 * The partners of the example trust directory (docs/interface.md, section 1) and the partners.json
 * written for them. Development PKI: the running gateway never imports this folder; it reads whatever
 * registry its trust directory holds.
 */
import type { MinimisationRule, OrganisationType, Partner } from '../domain/partner.js';

export type PartnerSeed = Partner;

const SPE_AGENCY = {
  role: 'agency',
  // A rectification corrects a document the agency itself sent (its acknowledgements, status updates,
  // referrals); execution-receipt answers the gateway's withdrawal notices (docs/interface.md).
  sends: ['acknowledgement', 'status-update', 'referral', 'rectification', 'execution-receipt'],
  // dossier, withdrawal and correction come from the gateway itself (src/trust/gateway-partner.ts).
  receives: ['orientation', 'referral', 'dossier', 'withdrawal', 'cir-review', 'correction'],
} as const;

const HEALTH_CONSENT = { field: '/body/consent/healthData', equals: true } as const;
const HEALTH_CONSTRAINT = { forbiddenFields: ['/body/constraints/*/theme'], forbiddenValues: ['SANTE'] };

/**
 * Health data (RQTH and other BOE titles, a SANTE constraint, the consent that reveals them) is art. 9
 * data: only Cap emploi and France Travail receive it, and only with the person's consent (GDPR article 9;
 * CNIL délib. 2023-005).
 */
const HEALTH_DATA_WITH_CONSENT: MinimisationRule[] = [
  { rule: 'health-data-with-consent-only', messageTypes: ['orientation'], forbiddenFields: ['/body/disability'], unless: HEALTH_CONSENT },
  { rule: 'health-constraint-with-consent-only', messageTypes: ['orientation'], ...HEALTH_CONSTRAINT, unless: HEALTH_CONSENT },
];
/**
 * A referral says as much as an orientation through its constraints and its coded reason: a SANTE
 * constraint or the reason HANDICAP is health data, the reason RSA an income-support right. France
 * Travail and Cap emploi receive them in a referral: the referral carries the person's agreement to it
 * (personAgreed, required), and HANDICAP towards Cap emploi is its very purpose.
 */
const NO_HEALTH_DATA: MinimisationRule[] = [
  { rule: 'health-data-cap-emploi-france-travail-only', messageTypes: ['orientation'], forbiddenFields: ['/body/disability', '/body/consent'] },
  { rule: 'health-constraint-cap-emploi-france-travail-only', messageTypes: ['orientation', 'referral'], ...HEALTH_CONSTRAINT },
  { rule: 'disability-referral-cap-emploi-france-travail-only', messageTypes: ['referral'], forbiddenFields: ['/body/reason'], forbiddenValues: ['HANDICAP'] },
];
/** RSA and ARE rights go to the Ville de Paris and France Travail only (the agreement's rule on rights: only the bodies that pay them need them); `false` is no right. */
const NO_INCOME_SUPPORT_RIGHTS: MinimisationRule[] = [
  {
    rule: 'income-support-rights-ville-de-paris-france-travail-only',
    messageTypes: ['orientation'],
    forbiddenFields: ['/body/situation/rsaBeneficiary', '/body/situation/unemploymentBenefitEntitled'],
    forbiddenValues: [true],
  },
  { rule: 'rsa-referral-ville-de-paris-france-travail-only', messageTypes: ['referral'], forbiddenFields: ['/body/reason'], forbiddenValues: ['RSA'] },
];

/** The partners of docs/interface.md, section 1. */
export const DEFAULT_PARTNERS: readonly PartnerSeed[] = Object.freeze([
  {
    id: 'ofii-paris',
    name: 'OFII, direction territoriale de Paris',
    role: 'agency',
    sends: ['orientation', 'opt-out', 'cir-review', 'rectification'],
    // A correction: an agency corrected a status update or an acknowledgement OFII received.
    receives: ['acknowledgement', 'status-update', 'expiry', 'dossier-request', 'correction'],
    eligibility: [],
    minimisation: [],
  },
  { id: 'france-travail-paris', name: 'France Travail, direction territoriale de Paris', ...spe('FRANCE_TRAVAIL'), eligibility: [], minimisation: HEALTH_DATA_WITH_CONSENT },
  {
    id: 'mission-locale-paris',
    name: 'Mission Locale de Paris',
    ...spe('MISSION_LOCALE'),
    eligibility: [{ rule: 'mission-locale-age', kind: 'age-between', min: 16, max: 25, messageTypes: ['orientation'] }],
    minimisation: [...NO_HEALTH_DATA, ...NO_INCOME_SUPPORT_RIGHTS],
  },
  {
    id: 'cap-emploi-75',
    name: 'Cap emploi 75',
    ...spe('CAP_EMPLOI'),
    eligibility: [{ rule: 'cap-emploi-disability', kind: 'recognised-disability-with-consent', messageTypes: ['orientation'] }],
    minimisation: [...HEALTH_DATA_WITH_CONSENT, ...NO_INCOME_SUPPORT_RIGHTS],
  },
  {
    id: 'epec-paris',
    name: 'Ensemble Paris Emploi Compétences (PLIE)',
    ...spe('PLIE_EPEC'),
    eligibility: [],
    minimisation: [...NO_HEALTH_DATA, ...NO_INCOME_SUPPORT_RIGHTS],
  },
  { id: 'ville-de-paris', name: "Ville de Paris, services de l'emploi", ...spe('VILLE_PARIS'), eligibility: [], minimisation: NO_HEALTH_DATA },
  {
    id: 'ftda-paris',
    name: "France terre d'asile",
    ...spe('AGIR_FTDA'),
    eligibility: [
      {
        rule: 'ftda-international-protection',
        kind: 'residence-grounds-in',
        grounds: ['PI_REFUGIE', 'PI_PROTECTION_SUBSIDIAIRE', 'PI_APATRIDE', 'PI_FAMILLE_BPI'],
        messageTypes: ['orientation'],
      },
    ],
    minimisation: [...NO_HEALTH_DATA, ...NO_INCOME_SUPPORT_RIGHTS],
  },
  { id: 'prefecture-paris', name: 'Préfecture de Paris, comité de pilotage', role: 'statistics', sends: [], receives: [], eligibility: [], minimisation: [] },
  { id: 'auditor', name: 'Auditeur (délégué à la protection des données)', role: 'auditor', sends: [], receives: [], eligibility: [], minimisation: [] },
  { id: 'operator', name: 'Exploitant de la passerelle', role: 'operator', sends: [], receives: [], eligibility: [], minimisation: [] },
]);

/** The partners.json the generator writes for these partners (the committed certs.example/partners.json for the defaults). */
export function registryJson(partners: readonly PartnerSeed[]): string {
  return `${JSON.stringify({ version: 1, partners }, null, 2)}\n`;
}

function spe(organisationType: OrganisationType): Pick<Partner, 'role' | 'organisationType' | 'sends' | 'receives'> {
  return { role: SPE_AGENCY.role, organisationType, sends: [...SPE_AGENCY.sends], receives: [...SPE_AGENCY.receives] };
}
