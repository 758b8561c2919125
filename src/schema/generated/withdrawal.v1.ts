/**
 * Generated — do not edit. Produced by scripts/generate-types.ts from schemas/withdrawal.v1.schema.json.
 * Change the schema, then run `npm run generate:types`.
 */

/**
 * Avis de retrait, version 1
 *
 * Avis qu'émet la passerelle, signé de sa propre clé, à chaque acteur qui a reçu des données sur une personne, lorsque celle-ci a été dispensée, a retiré son accord ou a été effacée : l'acteur supprime ce qu'il détient sur elle au titre de l'échange, sauf obligation légale de conservation.
 */
export interface WithdrawalV1 {
  header: WithdrawalV1Header;
  body: WithdrawalV1Body;
}
/**
 * En-tête
 *
 * En-tête commun du message ; l'émetteur est toujours la passerelle et inReplyTo, s'il est présent, désigne la demande de dispense ou de retrait (opt-out) qui a déclenché l'avis.
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
 * Motif et date d'effet du retrait.
 */
export interface WithdrawalV1Body {
  /**
   * Motif du retrait
   *
   * DISPENSE (la personne est dispensée de l'accompagnement), RETRAIT (la personne a retiré son accord) ou EFFACEMENT (effacement des données de la personne par l'exploitant de la passerelle, par exemple à sa demande, RGPD article 17).
   */
  reason: 'DISPENSE' | 'RETRAIT' | 'EFFACEMENT';
  /**
   * Date d'effet
   *
   * Date à partir de laquelle les données de la personne ne doivent plus être traitées au titre de l'échange.
   */
  effectiveOn: string;
}
