/**
 * Generated — do not edit. Produced by scripts/generate-types.ts from schemas/referral.v1.schema.json.
 * Change the schema, then run `npm run generate:types`.
 */

/**
 * Passerelle entre acteurs, version 1
 *
 * Passage d'une personne d'un acteur du service public de l'emploi à un autre (« dites-le-nous une fois »). Seul l'acteur qui suit la personne peut l'émettre ; la passerelle joint au destinataire le dossier de la personne (dernière orientation de l'OFII avec sa signature intacte et l'historique des réponses), si bien que la personne n'a rien à redire.
 */
export interface ReferralV1 {
  header: ReferralV1Header;
  body: ReferralV1Body;
}
/**
 * En-tête
 *
 * En-tête commun du message (contrat d'interface, section 3) ; inReplyTo est facultatif et peut désigner le message qui a motivé la passerelle.
 */
export interface ReferralV1Header {
  /**
   * Identifiant du message
   *
   * UUID choisi par l'émetteur, unique pour toujours, écrit en minuscules (RFC 9562) ; c'est la clé d'idempotence du message.
   */
  messageId: string;
  /**
   * Type de message
   *
   * Type du message : toujours « referral » pour ce schéma.
   */
  type: 'referral';
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
   * Identifiant du partenaire à qui la passerelle remet le message.
   */
  recipient: string;
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
   * Identifiant (messageId), en minuscules, du message auquel celui-ci répond.
   */
  inReplyTo?: string;
}
/**
 * Corps de la passerelle
 *
 * Motif codé de la passerelle et accord de la personne (recherche domaine, section 4.4), sans texte libre : le dossier transmis par la passerelle porte le reste.
 */
export interface ReferralV1Body {
  /**
   * Motif de la passerelle
   *
   * AGE (passage lié à l'âge : moins de 26 ans vers la Mission Locale, 26 ans atteints vers France Travail), HANDICAP (handicap reconnu, vers Cap emploi), BPI (bénéficiaire de la protection internationale, vers le programme AGIR), RSA (bénéficiaire du RSA, vers la Ville de Paris), PLIE_RENFORCE (accompagnement renforcé du PLIE), DEMANDE_PERSONNE (à la demande de la personne) ou REORIENTATION_DIAGNOSTIC (réorientation à l'issue du diagnostic).
   */
  reason: 'AGE' | 'HANDICAP' | 'BPI' | 'RSA' | 'PLIE_RENFORCE' | 'DEMANDE_PERSONNE' | 'REORIENTATION_DIAGNOSTIC';
  /**
   * Parcours recommandé
   *
   * Parcours que recommande l'acteur qui oriente, selon les critères du Comité national pour l'emploi.
   */
  recommendedPathway?: 'EMPLOI' | 'SOCIO_PRO' | 'SOCIAL';
  /**
   * Freins
   *
   * Freins à l'emploi constatés par l'acteur qui oriente, réduits au thème et à l'impact (jamais de situation en texte libre).
   *
   * @maxItems 8
   */
  constraints?: ReferralV1ConstraintsItem[];
  /**
   * Accord de la personne
   *
   * Toujours vrai : la personne a été informée de la passerelle et ne s'y oppose pas ; sans cet accord, la passerelle ne peut pas être émise.
   */
  personAgreed: true;
  /**
   * Date d'information de la personne
   *
   * Date à laquelle la personne a été informée de la passerelle et de la transmission de son dossier (RGPD, articles 13 et 14).
   */
  personInformedOn: string;
}
/**
 * Frein
 *
 * Un frein à l'emploi.
 */
export interface ReferralV1ConstraintsItem {
  /**
   * Thème
   *
   * LOGEMENT, MOBILITE, SANTE, CONTRAINTES_FAMILIALES (garde d'enfant, proche aidant), MAITRISE_LANGUE, NUMERIQUE, DIFFICULTE_ADMINISTRATIVE ou DIFFICULTE_FINANCIERE.
   */
  theme:
    | 'LOGEMENT'
    | 'MOBILITE'
    | 'SANTE'
    | 'CONTRAINTES_FAMILIALES'
    | 'MAITRISE_LANGUE'
    | 'NUMERIQUE'
    | 'DIFFICULTE_ADMINISTRATIVE'
    | 'DIFFICULTE_FINANCIERE';
  /**
   * Impact
   *
   * AUCUN, LEGER ou BLOQUANT.
   */
  impact: 'AUCUN' | 'LEGER' | 'BLOQUANT';
}
