/**
 * The words of the access report, once, for the HTML page and the PDF: both print exactly these
 * headings and paragraphs, in plain French for the person who asked (RGPD art. 12: "en des termes
 * clairs et simples"). Pure.
 */
import type { AccessReport, ReportLine } from './access-report.js';
import { parisTime, proofDigest } from './access-report.js';
import { AGREEMENT } from './disclosure-rules.js';

export const HEADINGS = {
  title: 'Rapport d\'accès à vos données',
  controller: 'Qui est responsable de vos données',
  purpose: 'À quoi sert cet échange',
  disclosures: 'Les documents transmis à votre sujet',
  lookups: 'Les organismes qui vous ont recherché',
  proofs: 'Comment vérifier ce rapport',
  rights: 'Vos droits',
} as const;

export const TABLE_CAPTIONS = {
  disclosures: 'Chaque ligne est un document qui a été transmis à un organisme à votre sujet.',
  lookups: 'Chaque ligne est une recherche par un organisme qui vous a trouvé.',
} as const;

export const DISCLOSURE_COLUMNS = ['N°', 'Organisme', 'Document', 'Date et heure (Paris)', 'Règle qui le permet', 'Entrée du journal', 'Empreinte'] as const;
export const LOOKUP_COLUMNS = ['N°', 'Organisme', 'Date et heure (Paris)', 'Règle qui le permet', 'Entrée du journal', 'Empreinte'] as const;

export function introduction(report: AccessReport): string[] {
  return [
    `Ce rapport répond à votre demande d'accès (article 15 du règlement général sur la protection des données, RGPD). Il concerne la référence ${report.beneficiaryRef}, le numéro que l'OFII vous a donné.`,
    `Il a été établi le ${parisTime(report.generatedAt)} (heure de Paris).`,
  ];
}

export function controllerText(report: AccessReport): string[] {
  return [
    `Chaque organisme qui participe à l'échange (${report.controller.organisations.join(' ; ')}) est responsable des données qu'il envoie et de celles qu'il reçoit.`,
    `La passerelle transmet ces données entre eux, de façon chiffrée, pour leur compte. Elle est exploitée par : ${report.controller.operator}.`,
    `Pour toute question sur vos données, vous pouvez écrire à l'organisme qui vous accompagne ou au délégué à la protection des données : ${report.controller.dataProtectionOfficer}.`,
  ];
}

export function purposeText(): string[] {
  return [
    `L'échange est prévu par la ${AGREEMENT}.`,
    "Il sert à vous orienter, après votre contrat d'intégration républicaine, vers l'organisme qui peut vous aider à trouver un emploi ou une formation, à suivre votre parcours, et à éviter que vous deviez répéter vos informations quand un autre organisme vous accompagne.",
    'Seuls les organismes qui en ont besoin reçoivent vos données, et seulement les informations dont ils ont besoin.',
  ];
}

export function disclosuresIntro(report: AccessReport): string[] {
  if (!report.held) return nothingHeld();
  const count = report.lines.filter((line) => line.section === 'disclosure').length;
  return [
    count === 0
      ? "Aucun document vous concernant n'a été transmis à un organisme."
      : `${count === 1 ? 'Un document vous concernant a été transmis' : `${count} documents vous concernant ont été transmis`} à des organismes. Quand un dossier a été transmis avec ses documents, chaque document est sur sa propre ligne.`,
    "Les messages refusés par la passerelle n'ont été remis à personne : ils ne sont pas dans cette liste.",
  ];
}

/** The report of a reference the exchange holds nothing about. */
export function nothingHeld(): string[] {
  return [
    "La passerelle ne détient aucune information liée à cette référence.",
    "Soit elle n'a jamais reçu de document à votre sujet, soit vos données ont été effacées (à votre demande, ou à la fin de la durée de conservation). Après un effacement, les anciennes traces du journal ne peuvent plus être reliées à vous, par personne, pas même par l'exploitant : c'est voulu, pour protéger votre vie privée. Ce rapport ne peut donc pas les lister.",
    "Si vos données ont été effacées, les organismes qui en avaient reçu ont été prévenus ; chacun garde ses propres dossiers selon ses propres règles : vous pouvez lui écrire directement.",
  ];
}

export function lookupsIntro(report: AccessReport): string[] {
  const count = report.lines.filter((line) => line.section === 'lookup').length;
  if (!report.held) return [];
  return [count === 0 ? "Aucun organisme ne vous a recherché dans l'échange." : `${count === 1 ? 'Un organisme vous a recherché' : `${count} recherches vous ont trouvé`} dans l'échange. Une recherche dit seulement à l'organisme que vous êtes connu de l'échange ; elle ne lui transmet pas votre dossier.`];
}

export function proofsText(report: AccessReport): string[] {
  const texts = [
    "Chaque ligne de ce rapport correspond à une entrée d'un journal que personne ne peut modifier sans que cela se voie. Le numéro d'entrée et l'empreinte de chaque ligne permettent de le vérifier : l'empreinte est le début du résumé (SHA-256) de l'entrée ; la même valeur commence le champ leafHash de la ligne dans le fichier rapport-acces.json.",
  ];
  if (report.checkpoint) {
    texts.push(
      `Le fichier rapport-acces.json, remis avec ce rapport, contient pour chaque ligne l'entrée du journal et sa preuve d'inclusion (RFC 9162), ainsi que l'état du journal signé par la passerelle le ${parisTime(report.checkpoint.timestamp)} (${report.checkpoint.treeSize} entrées, racine ${report.checkpoint.rootHash}).`,
    );
  }
  texts.push(
    `Pour le vérifier : passerelle access-report verify rapport-acces.json (avec la clé publique de la passerelle). Un auditeur peut aussi demander chaque preuve à la passerelle : GET /v1/audit/proofs/inclusion?index=N&treeSize=${report.checkpoint?.treeSize ?? 'T'} (N étant le numéro d'entrée de la ligne).`,
  );
  if (report.uncovered.length > 0) {
    texts.push(
      report.uncovered.length === 1
        ? `L'entrée ${report.uncovered[0]} est trop récente : l'état signé du journal ne la couvre pas encore. Demandez un nouveau rapport dans quelques minutes pour avoir sa preuve.`
        : `Les entrées ${report.uncovered.join(', ')} sont trop récentes : l'état signé du journal ne les couvre pas encore. Demandez un nouveau rapport dans quelques minutes pour avoir leur preuve.`,
    );
  }
  return texts;
}

export function rightsText(): string[] {
  return [
    'Vous pouvez demander que des données inexactes soient corrigées (RGPD art. 16), vous opposer à leur traitement ou retirer votre accord pour vos données de santé (art. 21 et art. 9), et demander leur effacement quand la loi le permet (art. 17).',
    "Vous pouvez aussi déposer une réclamation auprès de la CNIL (www.cnil.fr).",
  ];
}

/** The cells of a disclosure line, as printed. */
export function disclosureCells(line: ReportLine): string[] {
  const what = line.document ? `${line.label} : ${line.document.label} (écrit par ${line.document.author.name})` : line.label;
  return [String(line.number), line.organisation.name, what, parisTime(line.at), line.basis, String(line.index), proofDigest(line)];
}

export function lookupCells(line: ReportLine): string[] {
  return [String(line.number), line.organisation.name, parisTime(line.at), line.basis, String(line.index), proofDigest(line)];
}
