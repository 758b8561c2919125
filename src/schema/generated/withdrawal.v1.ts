/**
 * Generated — do not edit. Produced by scripts/generate-types.ts from schemas/withdrawal.v1.schema.json.
 * Change the schema, then run `npm run generate:types`.
 */

/**
 * Avis de retrait, version 1
 *
 * Avis qu'émet la passerelle, signé de sa propre clé, à chaque acteur qui a reçu des données sur une personne, lorsque celle-ci a été dispensée, a retiré son accord, s'est opposée, a retiré son accord au partage de ses données de santé ou a été effacée : l'acteur supprime ce qu'il détient sur elle au titre de l'échange (seulement ses données de santé pour RETRAIT_ACCORD_SANTE), sauf obligation légale de conservation, et répond par un compte rendu d'exécution (execution-receipt).
 */
export interface WithdrawalV1 {
  header: WithdrawalV1Header;
  body: WithdrawalV1Body;
}
/**
 * En-tête
 *
 * En-tête commun du message ; l'émetteur est toujours la passerelle ; inReplyTo, s'il est présent, désigne la demande (opt-out) qui a déclenché l'avis ou, pour une relance, l'avis d'origine.
 */
export interface WithdrawalV1Header {
  /**
   * Identifiant du message
   *
   * UUID choisi par l'émetteur, unique pour toujours, écrit en minuscules (RFC 9562) ; c'est la clé d'idempotence du message.
   */
  messageId: string;
  /**
   * Type de message
   *
   * Type du message : toujours « withdrawal » pour ce schéma.
   */
  type: 'withdrawal';
  /**
   * Version du schéma
   *
   * Version du type de message ; avec le type, elle désigne le schéma schemas/<type>.v<version>.schema.json.
   */
  version: 1;
  /**
   * Émetteur
   *
   * Toujours « passerelle » : le message est émis et signé par la passerelle elle-même, avec sa propre clé OpenPGP ; aucun partenaire ne peut l'émettre.
   */
  sender: 'passerelle';
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
 * Corps de l'avis de retrait
 *
 * Motif et date d'effet du retrait ; pour une relance, l'avis d'origine.
 */
export interface WithdrawalV1Body {
  /**
   * Motif du retrait
   *
   * DISPENSE (la personne est dispensée de l'accompagnement), RETRAIT (la personne a retiré son accord), EFFACEMENT (effacement des données de la personne par l'exploitant de la passerelle, par exemple à sa demande, RGPD article 17), OPPOSITION_ART21 (opposition, RGPD article 21), RETRAIT_ACCORD_SANTE (retrait de l'accord au partage des données de santé, RGPD articles 9(2)(a) et 7(3) : seules les données de santé sont à supprimer) ou EFFACEMENT_NON_ACCOMPAGNE (la personne n'est pas accompagnée, CASF R.263-8).
   */
  reason:
    'DISPENSE' | 'RETRAIT' | 'EFFACEMENT' | 'OPPOSITION_ART21' | 'RETRAIT_ACCORD_SANTE' | 'EFFACEMENT_NON_ACCOMPAGNE';
  /**
   * Date d'effet
   *
   * Date à partir de laquelle les données de la personne ne doivent plus être traitées au titre de l'échange.
   */
  effectiveOn: string;
  /**
   * Relance de l'avis
   *
   * Présent seulement dans une relance : identifiant (messageId) de l'avis de retrait d'origine, resté sans compte rendu d'exécution. Le compte rendu peut répondre à l'un ou à l'autre.
   */
  reminderOf?: string;
}
