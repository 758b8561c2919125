/**
 * Generated — do not edit. Produced by scripts/generate-types.ts from schemas/expiry.v1.schema.json.
 * Change the schema, then run `npm run generate:types`.
 */

/**
 * Avis d'expiration, version 1
 *
 * Avis qu'émet la passerelle, signé de sa propre clé, à l'émetteur d'une orientation restée sans accusé de prise en charge pendant le délai fixé (30 jours par défaut) : l'orientation est expirée.
 */
export interface ExpiryV1 {
  header: ExpiryV1Header;
  body: ExpiryV1Body;
}
/**
 * En-tête
 *
 * En-tête commun du message ; l'émetteur est toujours la passerelle et inReplyTo désigne l'orientation expirée.
 */
export interface ExpiryV1Header {
  /**
   * Identifiant du message
   *
   * UUID choisi par l'émetteur, unique pour toujours, écrit en minuscules (RFC 9562) ; c'est la clé d'idempotence du message.
   */
  messageId: string;
  /**
   * Type de message
   *
   * Type du message : toujours « expiry » pour ce schéma.
   */
  type: 'expiry';
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
   * Identifiant (messageId) de l'orientation expirée.
   */
  inReplyTo: string;
}
/**
 * Corps de l'avis d'expiration
 *
 * Qui n'a pas répondu, et depuis combien de temps.
 */
export interface ExpiryV1Body {
  /**
   * Acteur sans réponse
   *
   * Identifiant du partenaire à qui l'orientation était adressée et qui n'y a pas répondu.
   */
  agency: string;
  /**
   * Date d'expiration
   *
   * Date à laquelle la passerelle a constaté l'expiration.
   */
  expiredOn: string;
  /**
   * Délai en jours
   *
   * Délai de réponse, en jours, au terme duquel l'orientation expire (réglage PASSERELLE_ORIENTATION_EXPIRY_DAYS).
   */
  delayDays: number;
}
