/**
 * Generated — do not edit. Produced by scripts/generate-types.ts from schemas/execution-receipt.v1.schema.json.
 * Change the schema, then run `npm run generate:types`.
 */

/**
 * Compte rendu d'exécution, version 1
 *
 * Réponse d'un acteur à un avis de retrait (withdrawal) de la passerelle : le retrait a été effectué (EFFECTUE) ou refusé pour un motif légal de conservation (REFUSE_MOTIF_LEGAL), avec ce motif. Adressé à la passerelle elle-même, qui l'enregistre pour l'exploitant, l'auditeur et le comité de pilotage ; il n'est transmis à personne et ne rejoint aucun dossier.
 */
export interface ExecutionReceiptV1 {
  header: ExecutionReceiptV1Header;
  body: ExecutionReceiptV1Body;
}
/**
 * En-tête
 *
 * En-tête commun du message ; le destinataire est toujours la passerelle et inReplyTo désigne l'avis de retrait (ou sa relance) auquel l'acteur répond.
 */
export interface ExecutionReceiptV1Header {
  /**
   * Identifiant du message
   *
   * UUID choisi par l'émetteur, unique pour toujours, écrit en minuscules (RFC 9562) ; c'est la clé d'idempotence du message.
   */
  messageId: string;
  /**
   * Type de message
   *
   * Type du message : toujours « execution-receipt » pour ce schéma.
   */
  type: 'execution-receipt';
  /**
   * Version du schéma
   *
   * Version du type de message ; avec le type, elle désigne le schéma schemas/<type>.v<version>.schema.json.
   */
  version: 1;
  /**
   * Émetteur
   *
   * Identifiant du partenaire qui émet et signe le message ; il doit être le partenaire du certificat client.
   */
  sender: string;
  /**
   * Destinataire
   *
   * Toujours « passerelle » : le compte rendu s'adresse à la passerelle, qui l'enregistre sans le transmettre.
   */
  recipient: 'passerelle';
  /**
   * Date et heure d'émission
   *
   * Horodatage RFC 3339 de l'émission, avec un fuseau explicite (Z pour UTC, ou un décalage comme +01:00).
   */
  sentAt: string;
  /**
   * Référence du bénéficiaire
   *
   * Numéro d'étranger AGDREF (10 chiffres, imprimé sur le titre de séjour) que l'OFII utilise comme clé de la personne ; tous les messages concernant la même personne portent la même valeur. Donnée personnelle : elle ne sort jamais en clair du document chiffré.
   */
  beneficiaryRef: string;
  /**
   * En réponse à
   *
   * Identifiant (messageId) de l'avis de retrait, ou de sa relance, que la passerelle a adressé à l'émetteur.
   */
  inReplyTo: string;
}
/**
 * Corps du compte rendu d'exécution
 *
 * Statut d'exécution du retrait, date d'exécution et, en cas de refus, le motif légal (recherche domaine, section 4.6).
 */
export interface ExecutionReceiptV1Body {
  /**
   * Statut d'exécution
   *
   * EFFECTUE (les données ont été supprimées, ou seulement les données de santé pour RETRAIT_ACCORD_SANTE) ou REFUSE_MOTIF_LEGAL (une obligation légale impose de les conserver : le motif est alors obligatoire).
   */
  status: 'EFFECTUE' | 'REFUSE_MOTIF_LEGAL';
  /**
   * Date d'exécution
   *
   * Date à laquelle l'acteur a supprimé les données, ou décidé de les conserver.
   */
  executedOn: string;
  /**
   * Motif légal de conservation
   *
   * Présent si et seulement si le statut est REFUSE_MOTIF_LEGAL : OBLIGATION_CONSERVATION_COMPTABLE (pièces comptables), OBLIGATION_CONSERVATION_SOCIALE (dossier d'action sociale, code de l'action sociale et des familles), CONTENTIEUX_EN_COURS (litige ou recours en cours), MISSION_INTERET_PUBLIC (traitement nécessaire à une mission d'intérêt public, RGPD article 17(3)(b)) ou AUTRE_OBLIGATION_LEGALE (la référence du texte est alors obligatoire).
   */
  legalGround?:
    | 'OBLIGATION_CONSERVATION_COMPTABLE'
    | 'OBLIGATION_CONSERVATION_SOCIALE'
    | 'CONTENTIEUX_EN_COURS'
    | 'MISSION_INTERET_PUBLIC'
    | 'AUTRE_OBLIGATION_LEGALE';
  /**
   * Référence du texte
   *
   * Présent si et seulement si le motif est AUTRE_OBLIGATION_LEGALE : sigle du code ou du texte puis numéro d'article, par exemple « CT art. L.3243-4 », « CCOM art. L.123-22 » ou « RGPD art. 17 » ; jamais de donnée sur la personne.
   */
  legalReference?: string;
}
