/**
 * Generated — do not edit. Produced by scripts/generate-types.ts from schemas/cir-review.v1.schema.json.
 * Change the schema, then run `npm run generate:types`.
 */

/**
 * Bilan de fin de CIR, version 1
 *
 * Bilan de fin de contrat d'intégration républicaine qu'envoie l'OFII après l'entretien de fin de contrat (CESEDA R.413-14) : statut final du contrat, formation civique, formation linguistique, situation déclarée, besoins après le contrat et nouvelle orientation ou dispense. Il est adressé à l'acteur qui suit la personne, ou à la passerelle elle-même pour les seules statistiques. Il ne contient que des codes, sans texte libre ni donnée de santé.
 */
export interface CirReviewV1 {
  header: CirReviewV1Header;
  body: CirReviewV1Body;
}
/**
 * En-tête
 *
 * En-tête commun du message (contrat d'interface, section 3) ; le destinataire est l'acteur qui suit la personne, ou « passerelle » pour les statistiques seulement.
 */
export interface CirReviewV1Header {
  /**
   * Identifiant du message
   *
   * UUID choisi par l'émetteur, unique pour toujours, écrit en minuscules (RFC 9562) ; c'est la clé d'idempotence du message.
   */
  messageId: string;
  /**
   * Type de message
   *
   * Type du message : toujours « cir-review » pour ce schéma.
   */
  type: 'cir-review';
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
 * Corps du bilan de fin de CIR
 *
 * Données du bilan, par bloc (recherche domaine, section 4.5) ; des codes seulement.
 */
export interface CirReviewV1Body {
  cir: CirReviewV1Cir;
  civicTraining: CirReviewV1CivicTraining;
  language: CirReviewV1Language;
  /**
   * Situation déclarée
   *
   * Situation que la personne déclare à l'entretien de fin de contrat : EN_EMPLOI, EN_FORMATION, EN_RECHERCHE (recherche d'emploi) ou INACTIF.
   */
  declaredSituation: 'EN_EMPLOI' | 'EN_FORMATION' | 'EN_RECHERCHE' | 'INACTIF';
  /**
   * Besoins après le CIR
   *
   * Besoins relevés à l'entretien de fin de contrat, par des codes seulement (aucun besoin de santé) ; liste vide quand il n'y en a aucun.
   *
   * @maxItems 10
   *
   * Items: Besoin
   *
   * A2 ou B1 (formation linguistique vers ce niveau), RECONNAISSANCE_DIPLOME, LOGEMENT, MOBILITE, GARDE_ENFANTS, NUMERIQUE, DIFFICULTE_ADMINISTRATIVE, DIFFICULTE_FINANCIERE ou FORMATION_QUALIFIANTE.
   */
  postCirNeeds: (
    | 'A2'
    | 'B1'
    | 'RECONNAISSANCE_DIPLOME'
    | 'LOGEMENT'
    | 'MOBILITE'
    | 'GARDE_ENFANTS'
    | 'NUMERIQUE'
    | 'DIFFICULTE_ADMINISTRATIVE'
    | 'DIFFICULTE_FINANCIERE'
    | 'FORMATION_QUALIFIANTE'
  )[];
  postCirOrientation: CirReviewV1PostCirOrientation;
}
/**
 * Contrat d'intégration républicaine
 *
 * Statut final du contrat et date de l'entretien de fin de contrat.
 */
export interface CirReviewV1Cir {
  /**
   * Statut final
   *
   * ACHEVE (contrat mené à son terme) ou ROMPU (contrat rompu).
   */
  finalStatus: 'ACHEVE' | 'ROMPU';
  /**
   * Date de l'entretien de fin de CIR
   *
   * Date de l'entretien de fin de contrat, au plus tard trois mois après la fin des formations prescrites (CESEDA R.413-14).
   */
  endInterviewOn: string;
}
/**
 * Formation civique
 *
 * Statut de la formation civique et nombre de sessions suivies sur les quatre.
 */
export interface CirReviewV1CivicTraining {
  /**
   * Statut de la formation civique
   *
   * PRESCRITE, EN_COURS, TERMINEE, ABANDON ou DISPENSEE.
   */
  status: 'PRESCRITE' | 'EN_COURS' | 'TERMINEE' | 'ABANDON' | 'DISPENSEE';
  /**
   * Sessions suivies
   *
   * Nombre de sessions de la formation civique suivies, sur les quatre que compte la formation.
   */
  sessionsAttended: number;
}
/**
 * Formation linguistique
 *
 * Parcours prescrit, heures suivies, assiduité, niveau atteint et certification.
 */
export interface CirReviewV1Language {
  /**
   * Parcours prescrit
   *
   * Parcours de formation linguistique prescrit, qui en dit le nombre d'heures : A1 de 100, 200, 400 ou 600 heures, A2 ou B1 de 100 heures, ou DISPENSE.
   */
  prescribedCourse: 'A1_100H' | 'A1_200H' | 'A1_400H' | 'A1_600H' | 'A2_100H' | 'B1_100H' | 'DISPENSE';
  /**
   * Heures suivies
   *
   * Nombre d'heures de formation linguistique suivies (au plus 600, le plus long parcours prescrit).
   */
  hoursAttended?: number;
  /**
   * Taux d'assiduité
   *
   * Part des heures prescrites effectivement suivies, en pourcentage entier de 0 à 100.
   */
  attendanceRate?: number;
  /**
   * Niveau atteint
   *
   * Niveau CECRL atteint à la fin du contrat.
   */
  levelReached: 'INFRA_A1' | 'A1' | 'A2' | 'B1' | 'B2' | 'C1' | 'C2';
  /**
   * Certification
   *
   * Certification obtenue, absente si aucune : TCF_IRN, TEF_IRN, DELF_A1, DELF_A2, DELF_B1, DELF_B2 ou AUTRE.
   */
  certification?: 'TCF_IRN' | 'TEF_IRN' | 'DELF_A1' | 'DELF_A2' | 'DELF_B1' | 'DELF_B2' | 'AUTRE';
}
/**
 * Orientation après le CIR
 *
 * Nouvelle orientation proposée par l'OFII (type d'organisme et parcours), ou dispense de l'accompagnement par le service public de l'emploi (CESEDA L.413-3, R.413-14).
 */
export interface CirReviewV1PostCirOrientation {
  /**
   * Décision
   *
   * ORIENTATION (nouvelle orientation, avec le type d'organisme et le parcours) ou DISPENSE (ni type d'organisme ni parcours).
   */
  decision: 'ORIENTATION' | 'DISPENSE';
  /**
   * Type d'organisme
   *
   * Type d'organisme vers lequel la personne est orientée après le contrat.
   */
  recipientType?:
    'FRANCE_TRAVAIL' | 'MISSION_LOCALE' | 'CAP_EMPLOI' | 'PLIE_EPEC' | 'AGIR_FTDA' | 'VILLE_PARIS' | 'APEC' | 'AUTRE';
  /**
   * Parcours proposé
   *
   * Parcours proposé selon les critères du Comité national pour l'emploi.
   */
  pathway?: 'EMPLOI' | 'SOCIO_PRO' | 'SOCIAL';
}
