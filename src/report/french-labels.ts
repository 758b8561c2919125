/**
 * The names a person reads in the committee's documents, for the codes of the statistics. A code
 * without a name here is shown as it is (a new code is never hidden).
 */
const SITUATIONS: Record<string, string> = {
  EMPLOI_DURABLE: 'Emploi durable',
  EMPLOI_AUTRE: 'Autre emploi',
  FORMATION: 'En formation',
  ACCOMPAGNE: 'Accompagné',
  SORTI: 'Sorti',
  SANS_NOUVELLES: 'Sans nouvelles',
  MOINS_DE_12_MOIS: 'Moins de 12 mois',
  TOTAL: 'Total',
};

const DIMENSIONS: Record<string, string> = {
  period: "Trimestre d'orientation",
  recipient: 'Acteur',
  permitFamily: 'Motif de séjour',
  sex: 'Sexe',
  ageBand: "Tranche d'âge",
  languageLevel: 'Niveau de français initial',
  pathway: 'Parcours proposé',
  month: 'Mois',
};

const CATEGORIES: Record<string, string> = {
  FAMILLE: 'Famille',
  PROFESSIONNEL: 'Professionnel',
  PROTECTION_INTERNATIONALE: 'Protection internationale',
  APS: 'APS',
  AUTRE: 'Autre',
  F: 'Femmes',
  M: 'Hommes',
  '16-25': '16 à 25 ans',
  '26-44': '26 à 44 ans',
  '45+': '45 ans et plus',
  MOINS_16: 'Moins de 16 ans',
  EMPLOI: 'Emploi',
  SOCIO_PRO: 'Socio-professionnel',
  SOCIAL: 'Social',
  NON_RENSEIGNE: 'Non renseigné',
  INFRA_A1: 'Infra A1',
  TOTAL: 'Total',
};

const TYPES: Record<string, string> = {
  orientation: 'Orientations',
  acknowledgement: 'Accusés de réception',
  'status-update': 'Événements de parcours',
  referral: 'Passerelles',
  'opt-out': 'Oppositions',
  dossier: 'Dossiers',
  withdrawal: 'Retraits',
  expiry: 'Expirations',
  'cir-review': 'Bilans de fin de CIR',
  rectification: 'Rectifications',
  'execution-receipt': "Comptes rendus d'exécution",
  correction: 'Avis de rectification',
  'dossier-request': 'Demandes de partage',
  TOTAL: 'Total',
};

const MONTHS = ['janvier', 'février', 'mars', 'avril', 'mai', 'juin', 'juillet', 'août', 'septembre', 'octobre', 'novembre', 'décembre'];

export const WITHHELD = 'secret statistique';

export function situationLabel(code: string): string {
  return SITUATIONS[code] ?? code;
}

export function dimensionLabel(code: string): string {
  return DIMENSIONS[code] ?? code;
}

export function typeLabel(code: string): string {
  return TYPES[code] ?? code;
}

/** 2026-03 is "mars 2026"; 2026-Q1 is "T1 2026". */
export function periodLabel(code: string): string {
  const month = /^(\d{4})-(\d{2})$/.exec(code);
  if (month) return `${MONTHS[Number(month[2]) - 1] ?? month[2]} ${month[1]}`;
  const quarter = /^(\d{4})-Q([1-4])$/.exec(code);
  if (quarter) return `T${quarter[2]} ${quarter[1]}`;
  return CATEGORIES[code] ?? code;
}

/** A category of a dimension: a partner by its registered name, a period, a code. */
export function categoryLabel(dimension: string, code: string, partnerNames: ReadonlyMap<string, string>): string {
  if (code === 'TOTAL') return 'Total';
  if (dimension === 'recipient') return partnerNames.get(code) ?? code;
  if (dimension === 'period' || dimension === 'month') return periodLabel(code);
  return CATEGORIES[code] ?? code;
}

const INTEGER = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 0 });
const DECIMAL = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 });

/** French digit grouping, with an ordinary space (every renderer and font has it). */
export function formatCount(n: number): string {
  return INTEGER.format(n).replace(/[\u00a0\u202f]/g, ' ');
}

export function formatRate(rate: number): string {
  return `${DECIMAL.format(rate * 100).replace(/[\u00a0\u202f]/g, ' ')} %`;
}

export function formatDays(days: number): string {
  return `${DECIMAL.format(days).replace(/[\u00a0\u202f]/g, ' ')} j`;
}
