/**
 * Generated — do not edit. Produced by scripts/generate-types.ts from schemas/dossier.v1.schema.json.
 * Change the schema, then run `npm run generate:types`.
 */

/**
 * Dossier de la personne, version 1
 *
 * Dossier qu'émet la passerelle, signé de sa propre clé et chiffré pour le nouvel acteur, en même temps qu'elle lui remet une passerelle : la dernière orientation de l'OFII et l'historique des accusés et des événements de parcours, chacun tel que son émetteur l'a signé, pour que le destinataire vérifie lui-même chaque signature d'origine.
 */
export interface DossierV1 {
  header: DossierV1Header;
  body: DossierV1Body;
}
/**
 * En-tête
 *
 * En-tête commun du message ; l'émetteur est toujours la passerelle et inReplyTo désigne la passerelle (referral) qui a déclenché la transmission du dossier.
 */
export interface DossierV1Header {
  /**
   * Identifiant du message
   *
   * UUID choisi par l'émetteur, unique pour toujours, écrit en minuscules (RFC 9562) ; c'est la clé d'idempotence du message.
   */
  messageId: string;
  /**
   * Type de message
   *
   * Type du message : toujours « dossier » pour ce schéma.
   */
  type: 'dossier';
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
   * Identifiant (messageId) de la passerelle (referral) à laquelle ce dossier est joint.
   */
  inReplyTo: string;
}
/**
 * Corps du dossier
 *
 * Les documents du dossier, du plus ancien au plus récent.
 */
export interface DossierV1Body {
  /**
   * Documents
   *
   * La dernière orientation de l'OFII pour la personne, puis les accusés de prise en charge, les événements de parcours et les bilans de fin de CIR la concernant, par date d'acceptation par la passerelle ; puis les rectifications de ces documents par leur auteur, par date d'acceptation.
   *
   * @maxItems 200
   */
  documents: DossierV1DocumentsItem[];
}
/**
 * Document du dossier
 *
 * Un document tel que son émetteur l'a signé, avec ce qui permet de le retrouver.
 */
export interface DossierV1DocumentsItem {
  /**
   * Identifiant du message
   *
   * UUID choisi par l'émetteur, unique pour toujours, écrit en minuscules (RFC 9562) ; c'est la clé d'idempotence du message.
   */
  messageId: string;
  /**
   * Type du document
   *
   * Type du message d'origine : orientation, acknowledgement, status-update ou cir-review, comme dans son en-tête, ou rectification (la correction par son auteur d'un document du dossier, qui le suit).
   */
  type: string;
  /**
   * Émetteur d'origine
   *
   * Identifiant du partenaire qui a signé le document ; sa clé publique vérifie la signature.
   */
  sender: string;
  /**
   * Date d'acceptation
   *
   * Horodatage RFC 3339 de l'acceptation du document par la passerelle.
   */
  acceptedAt: string;
  /**
   * Message signé d'origine
   *
   * Le message OpenPGP signé d'origine (signature en une passe, document, signature), en base64, octet pour octet tel que son émetteur l'a signé : « base64 -d | gpg --decrypt » montre la signature de l'émetteur et rend le document exact.
   */
  signedMessage: string;
}
