/**
 * What the committee's annual execution report says, from a statistics report that passed disclosure
 * control (src/stats/report.ts): the year's volumes, the efficacy tables and the charts, as one model
 * that the HTML and the PDF render alike. Only published figures are used: a withheld count stays
 * null (shown "secret statistique", never drawn), and a sum is given only when every figure it adds is
 * published (it then reveals nothing a reader could not add up).
 */
import type { EfficacyTable } from '../stats/efficacy.js';
import type { CountTable, StatisticsReport } from '../stats/report.js';
import { categoryLabel, dimensionLabel, formatCount, formatDays, formatRate, periodLabel, situationLabel, typeLabel, WITHHELD } from './french-labels.js';

/** One figure of a table: `text` is what is printed; `value` is the number behind it, or null. */
export interface Figure {
  kind: 'count' | 'rate' | 'median';
  value: number | null;
  text: string;
}

export interface ReportTable {
  caption: string;
  /** The header of the row labels, then of each column. */
  header: string[];
  rows: Array<{ label: string; figures: Figure[] }>;
}

export interface ReportChart {
  id: string;
  title: string;
  desc: string;
  /** One bar per category; a null value is withheld or not published, and has no bar. */
  bars: Array<{ label: string; value: number | null; text: string }>;
  /** The chart's data, printed beside it. */
  table: ReportTable;
}

export type Block = { paragraph: string } | { table: ReportTable } | { chart: ReportChart };

export interface ReportSection {
  heading: string;
  blocks: Block[];
}

export interface AnnualReport {
  year: number;
  title: string;
  generatedAt: string;
  sections: ReportSection[];
}

export interface AnnualReportOptions {
  year: number;
  /** Registered names of the partners, by id. */
  partnerNames: ReadonlyMap<string, string>;
}

function count(value: number | null): Figure {
  return { kind: 'count', value, text: value === null ? WITHHELD : formatCount(value) };
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function countTable(report: StatisticsReport, name: string): CountTable {
  const found = report.tables.find((t) => t.name === name);
  if (!found) throw new Error(`The statistics have no table ${name}: the annual report and src/stats/report.ts disagree.`);
  return found;
}

/** Rows of a count table restricted to the months of `year`, with a year total when it can be added up. */
function monthRows(table: CountTable, year: number, columnLabel: (code: string) => string, caption: string): ReportTable {
  const months = unique(table.cells.map((c) => c.row)).filter((row) => row.startsWith(`${year}-`));
  const columns = unique(table.cells.map((c) => c.column));
  const value = (row: string, column: string) => table.cells.find((c) => c.row === row && c.column === column)?.count ?? null;
  const rows = months.map((month) => ({ label: periodLabel(month), figures: columns.map((column) => count(value(month, column))) }));
  const totals = columns.map((column) => {
    const parts = months.map((month) => value(month, column));
    return count(parts.every((p) => p !== null) ? (parts as number[]).reduce((a, b) => a + b, 0) : null);
  });
  return { caption, header: ['Mois', ...columns.map(columnLabel)], rows: [...rows, { label: `Total ${year}`, figures: totals }] };
}

function efficacyTable(table: EfficacyTable, partnerNames: ReadonlyMap<string, string>): ReportTable {
  const rows = unique(table.cells.map((c) => c.row));
  const columns = unique(table.cells.map((c) => c.column));
  return {
    caption: `Situation à ${table.horizonMonths} mois, par ${dimensionLabel(table.rows).toLowerCase()}`,
    header: [dimensionLabel(table.rows), ...columns.map(situationLabel)],
    rows: rows.map((row) => ({
      label: categoryLabel(table.rows, row, partnerNames),
      figures: columns.map((column) => count(table.cells.find((c) => c.row === row && c.column === column)!.count)),
    })),
  };
}

const RATE_FLAGS: Record<string, string> = { 'denominator-under-30': 'non publié (moins de 30 personnes)', 'count-suppressed': WITHHELD };

function chartOf(id: string, title: string, desc: string, bars: ReportChart['bars'], valueHeader: string, labelHeader: string): ReportChart {
  return {
    id,
    title,
    desc,
    bars,
    table: {
      caption: `Données du graphique : ${title.charAt(0).toLowerCase()}${title.slice(1)}`,
      header: [labelHeader, valueHeader],
      rows: bars.map((bar) => ({ label: bar.label, figures: [{ kind: valueHeader === 'Médiane' ? 'median' : 'count', value: bar.value, text: bar.text }] })),
    },
  };
}

export function annualReportContent(report: StatisticsReport, options: AnnualReportOptions): AnnualReport {
  const { year, partnerNames } = options;
  const { efficacy, disclosureControl } = report;
  const sections: ReportSection[] = [];

  sections.push({
    heading: 'Règles de publication',
    blocks: [
      {
        paragraph: `Les chiffres de ce rapport viennent des faits statistiques que la passerelle enregistre à l'acceptation de chaque message : des catégories seulement, jamais l'identité, la référence ou la date de naissance d'une personne. Situation au ${efficacy.reportDate} ; rapport produit le ${report.generatedAt.slice(0, 10)}.`,
      },
      {
        paragraph: `Secret statistique : tout effectif de ${disclosureControl.suppressedCounts.from} à ${disclosureControl.suppressedCounts.to} est masqué, ainsi que d'autres effectifs choisis pour qu'aucun effectif masqué ne puisse être retrouvé par les totaux (masquage secondaire, sur l'ensemble des tableaux publiés). Un effectif masqué est écrit « ${WITHHELD} » et n'est jamais dessiné. Un taux n'est publié que sur ${disclosureControl.minimumRateDenominator} personnes ou plus, une médiane de délai sur ${efficacy.minimumMedianPeople} personnes ou plus. Les dimensions sensibles (motif de séjour, sexe, âge, niveau de langue) ne sont jamais croisées entre elles.`,
      },
    ],
  });

  // Volumes of the year.
  const messages = countTable(report, 'messages-by-month-and-type');
  const byRecipient = countTable(report, 'orientations-by-month-and-recipient');
  const months = unique(byRecipient.cells.map((c) => c.row)).filter((row) => row.startsWith(`${year}-`));
  const monthBars = months.map((month) => {
    const value = byRecipient.cells.find((c) => c.row === month && c.column === 'TOTAL')!.count;
    return { label: periodLabel(month), value, text: value === null ? WITHHELD : formatCount(value) };
  });
  sections.push({
    heading: `Volumes de l'année ${year}`,
    blocks: [
      {
        chart: chartOf(
          'orientations-par-mois',
          `Orientations acceptées par mois, ${year}`,
          `Diagramme en barres horizontales : nombre d'orientations de l'OFII acceptées par la passerelle, pour chaque mois de ${year}. Un mois dont l'effectif est masqué n'a pas de barre. Les valeurs sont dans le tableau qui suit.`,
          monthBars,
          'Orientations',
          'Mois',
        ),
      },
      { table: monthRows(messages, year, typeLabel, `Messages acceptés par mois et par type, ${year} (les passerelles entre acteurs et les oppositions comprises)`) },
      { table: monthRows(byRecipient, year, (id) => categoryLabel('recipient', id, partnerNames), `Orientations acceptées par mois et par acteur destinataire, ${year}`) },
      {
        paragraph:
          "Oppositions : la colonne « Oppositions » compte les messages d'opposition reçus. Leur nature (dispense, opposition au titre de l'article 21 du RGPD, retrait du consentement pour les données de santé, effacement) n'est pas gardée dans les faits statistiques : elle n'est pas publiée ici.",
      },
    ],
  });

  // Efficacy.
  const totalsOf = (name: string) => efficacy.tables.find((t) => t.name === name)!.cells.filter((c) => c.row === 'TOTAL' && c.column !== 'TOTAL');
  const situationBars = (name: string) => totalsOf(name).map((c) => ({ label: situationLabel(c.column), value: c.count, text: c.count === null ? WITHHELD : formatCount(c.count) }));
  const efficacyBlocks: Block[] = [
    {
      paragraph: `Chaque personne orientée est suivie par son parcours : l'orientation de l'OFII qui l'a commencé et les événements que les acteurs transmettent, y compris après une passerelle vers un autre acteur. Sa situation à 6 (12) mois est lue dans les événements dont la date d'effet précède la date d'envoi de l'orientation plus 6 (12) mois. Sont observées à 6 mois les orientations acceptées jusqu'en ${periodLabel(efficacy.observedThrough.sixMonths)}, à 12 mois jusqu'en ${periodLabel(efficacy.observedThrough.twelveMonths)} ; les tableaux à 12 mois comptent les mêmes personnes que ceux à 6 mois, la colonne « Moins de 12 mois » pour celles qui n'ont pas encore 12 mois de parcours.`,
    },
    {
      paragraph:
        "Situations : emploi durable (CDI, CDD de six mois ou plus) ; autre emploi (autres contrats, insertion par l'activité économique, création d'entreprise) ; en formation (entrée en formation sans sortie) ; accompagné (tout autre événement d'accompagnement) ; sorti (fin d'accompagnement sans emploi ni formation) ; sans nouvelles (aucun événement). Un emploi ou une formation dure jusqu'à ce qu'une autre situation le remplace.",
    },
    {
      chart: chartOf(
        'situation-6-mois',
        'Situation des personnes 6 mois après leur orientation',
        "Diagramme en barres horizontales : nombre de personnes dans chaque situation 6 mois après leur orientation, toutes orientations observées. Une situation dont l'effectif est masqué n'a pas de barre. Les valeurs sont dans le tableau qui suit.",
        situationBars('outcomes-at-6-months-by-actor'),
        'Personnes',
        'Situation',
      ),
    },
    {
      chart: chartOf(
        'situation-12-mois',
        'Situation des personnes 12 mois après leur orientation',
        "Diagramme en barres horizontales : nombre de personnes dans chaque situation 12 mois après leur orientation ; « Moins de 12 mois » compte les personnes observées à 6 mois seulement. Une situation dont l'effectif est masqué n'a pas de barre. Les valeurs sont dans le tableau qui suit.",
        situationBars('outcomes-at-12-months-by-actor'),
        'Personnes',
        'Situation',
      ),
    },
    ...efficacy.tables.map((table): Block => ({ table: efficacyTable(table, partnerNames) })),
    ...efficacy.rates.map(
      (table): Block => ({
        table: {
          caption: `Taux d'emploi à ${table.horizonMonths} mois (emploi durable ou autre emploi), par ${dimensionLabel(table.rows).toLowerCase()}`,
          header: [dimensionLabel(table.rows), "Taux d'emploi"],
          rows: table.cells.map((c) => ({
            label: categoryLabel(table.rows, c.row, partnerNames),
            figures: [{ kind: 'rate', value: c.rate, text: c.rate === null ? (RATE_FLAGS[c.flag ?? ''] ?? WITHHELD) : formatRate(c.rate) }],
          })),
        },
      }),
    ),
  ];
  sections.push({ heading: 'Efficacité : situation 6 et 12 mois après l’orientation', blocks: efficacyBlocks });

  const medianByActor = efficacy.medians.find((t) => t.rows === 'recipient')!;
  const medianText = (value: number | null) => (value === null ? `non publié (moins de ${efficacy.minimumMedianPeople} personnes)` : formatDays(value));
  sections.push({
    heading: "Délai entre l'orientation et le premier entretien",
    blocks: [
      {
        paragraph: `Médiane du nombre de jours entre la date d'envoi de l'orientation et le premier entretien réalisé (événement PREMIER_ENTRETIEN_REALISE), quel que soit l'acteur qui l'a conduit le long du parcours ; publiée sur ${efficacy.minimumMedianPeople} personnes ou plus.`,
      },
      {
        chart: chartOf(
          'delai-premier-entretien',
          'Délai médian jusqu’au premier entretien, par acteur',
          "Diagramme en barres horizontales : délai médian, en jours, entre l'orientation et le premier entretien, pour chaque acteur destinataire de l'orientation. Un acteur dont la médiane n'est pas publiée n'a pas de barre. Les valeurs sont dans le tableau qui suit.",
          medianByActor.cells.map((c) => ({ label: categoryLabel('recipient', c.row, partnerNames), value: c.medianDays, text: medianText(c.medianDays) })),
          'Médiane',
          'Acteur',
        ),
      },
      ...efficacy.medians.map(
        (table): Block => ({
          table: {
            caption: `Délai médian jusqu'au premier entretien, par ${dimensionLabel(table.rows).toLowerCase()}`,
            header: [dimensionLabel(table.rows), 'Médiane'],
            rows: table.cells.map((c) => ({ label: categoryLabel(table.rows, c.row, partnerNames), figures: [{ kind: 'median', value: c.medianDays, text: medianText(c.medianDays) }] })),
          },
        }),
      ),
    ],
  });

  return { year, title: `Rapport annuel d'exécution ${year}`, generatedAt: report.generatedAt, sections };
}
