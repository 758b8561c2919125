/**
 * Generated — do not edit. Produced by scripts/generate-types.ts from schemas/opt-out.v1.schema.json.
 * Change the schema, then run `npm run generate:types`.
 */

/**
 * Dispense ou retrait, version 1
 *
 * Demande de la personne, recueillie par l'OFII : dispense de l'accompagnement du service public de l'emploi (CESEDA L.413-3, R.413-14), retrait de son accord, opposition (RGPD article 21), retrait de son accord au partage de ses données de santé (RGPD articles 9(2)(a) et 7(3)) ou effacement parce qu'elle n'est pas accompagnée (CASF R.263-8). Adressée à la passerelle elle-même : chaque acteur qui a reçu des données sur la personne reçoit un avis de retrait ; sauf pour RETRAIT_ACCORD_SANTE, toute orientation ou passerelle pour la personne est ensuite refusée et son dossier est détruit ; après RETRAIT_ACCORD_SANTE, l'accompagnement continue mais plus aucune donnée de santé n'est acceptée ni transmise.
 */
export interface OptOutV1 {
  header: OptOutV1Header;
  body: OptOutV1Body;
}
/**
 * En-tête
 *
 * En-tête commun du message (contrat d'interface, section 3) ; le destinataire est toujours la passerelle.
 */
export interface OptOutV1Header {
  /**
   * Identifiant du message
   *
   * UUID choisi par l'émetteur, unique pour toujours, écrit en minuscules (RFC 9562) ; c'est la clé d'idempotence du message.
   */
  messageId: string;
  /**
   * Type de message
   *
   * Type du message : toujours « opt-out » pour ce schéma.
   */
  type: 'opt-out';
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
   * Toujours « passerelle » : la demande s'adresse à la passerelle, qui la fait suivre sous forme d'avis de retrait aux acteurs concernés.
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
   * Identifiant (messageId), en minuscules, du message auquel celui-ci répond.
   */
  inReplyTo?: string;
}
/**
 * Corps de la dispense ou du retrait
 *
 * Nature, date d'effet et canal de recueil de la demande (recherche domaine, section 4.6).
 */
export interface OptOutV1Body {
  /**
   * Nature de la demande
   *
   * DISPENSE (dispense de l'accompagnement par le service public de l'emploi, nature DISPENSE_CONSEIL_ORIENTATION, CESEDA L.413-3 et R.413-14), RETRAIT (la personne retire son accord à la transmission de ses données), OPPOSITION_ART21 (la personne s'oppose au traitement, RGPD article 21), RETRAIT_ACCORD_SANTE (la personne retire son accord au partage de ses données de santé, RGPD articles 9(2)(a) et 7(3) : l'accompagnement continue) ou EFFACEMENT_NON_ACCOMPAGNE (la personne n'est pas accompagnée : ses données sont détruites sans délai, CASF R.263-8).
   */
  kind: 'DISPENSE' | 'RETRAIT' | 'OPPOSITION_ART21' | 'RETRAIT_ACCORD_SANTE' | 'EFFACEMENT_NON_ACCOMPAGNE';
  /**
   * Date d'effet
   *
   * Date à laquelle la demande a pris effet ; la passerelle l'applique dès qu'elle accepte le message.
   */
  effectiveOn: string;
  /**
   * Canal de recueil
   *
   * ENTRETIEN_OFII (lors d'un entretien à l'OFII), SPE (auprès d'un acteur du service public de l'emploi), COURRIER ou DPO (auprès du délégué à la protection des données).
   */
  channel: 'ENTRETIEN_OFII' | 'SPE' | 'COURRIER' | 'DPO';
}
