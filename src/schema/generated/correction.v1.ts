/**
 * Generated — do not edit. Produced by scripts/generate-types.ts from schemas/correction.v1.schema.json.
 * Change the schema, then run `npm run generate:types`.
 */

/**
 * Avis de rectification, version 1
 *
 * Avis qu'émet la passerelle, signé de sa propre clé et chiffré pour chaque acteur qui a reçu un document (directement ou dans un dossier), lorsque l'auteur de ce document le rectifie : il porte la rectification telle que son auteur l'a signée, pour que le destinataire vérifie lui-même la signature d'origine et applique les modifications au document qu'il détient.
 */
export interface CorrectionV1 {
  header: CorrectionV1Header;
  body: CorrectionV1Body;
}
/**
 * En-tête
 *
 * En-tête commun du message ; l'émetteur est toujours la passerelle et inReplyTo désigne la rectification (rectification) qui a déclenché l'avis.
 */
export interface CorrectionV1Header {
  /**
   * Identifiant du message
   *
   * UUID choisi par l'émetteur, unique pour toujours, écrit en minuscules (RFC 9562) ; c'est la clé d'idempotence du message.
   */
  messageId: string;
  /**
   * Type de message
   *
   * Type du message : toujours « correction » pour ce schéma.
   */
  type: 'correction';
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
   * Identifiant (messageId) de la rectification que porte cet avis.
   */
  inReplyTo: string;
}
/**
 * Corps de l'avis de rectification
 *
 * Le document corrigé et la rectification signée par son auteur.
 */
export interface CorrectionV1Body {
  /**
   * Document corrigé
   *
   * Identifiant (messageId) du document que le destinataire a reçu et que son auteur corrige.
   */
  corrects: string;
  rectification: CorrectionV1Rectification;
}
/**
 * Rectification
 *
 * La rectification telle que son auteur l'a signée, avec ce qui permet de la retrouver.
 */
export interface CorrectionV1Rectification {
  /**
   * Identifiant du message
   *
   * UUID choisi par l'émetteur, unique pour toujours, écrit en minuscules (RFC 9562) ; c'est la clé d'idempotence du message.
   */
  messageId: string;
  /**
   * Auteur
   *
   * Identifiant du partenaire qui a signé la rectification, auteur du document corrigé ; sa clé publique vérifie la signature.
   */
  sender: string;
  /**
   * Date d'acceptation
   *
   * Horodatage RFC 3339 de l'acceptation de la rectification par la passerelle.
   */
  acceptedAt: string;
  /**
   * Rectification signée d'origine
   *
   * Le message OpenPGP signé de la rectification (signature en une passe, document, signature), en base64, octet pour octet tel que son auteur l'a signé : « base64 -d | gpg --decrypt » montre la signature de l'auteur et rend la rectification exacte.
   */
  signedMessage: string;
}
