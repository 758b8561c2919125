/**
 * Generated — do not edit. Produced by scripts/generate-types.ts from schemas/dossier-request.v1.schema.json.
 * Change the schema, then run `npm run generate:types`.
 */

/**
 * Demande de partage du dossier, version 1
 *
 * Avis qu'émet la passerelle, signé de sa propre clé, à l'OFII (l'émetteur de la dernière orientation de la personne) lorsqu'un acteur du service public de l'emploi qui accompagne la personne l'a trouvée parmi les bénéficiaires du CIR (POST /v1/beneficiary-lookups) avec son accord : l'OFII partage le dossier par les messages signés habituels, une orientation adressée à l'acteur demandeur dont header.inReplyTo désigne cet avis.
 */
export interface DossierRequestV1 {
  header: DossierRequestV1Header;
  body: DossierRequestV1Body;
}
/**
 * En-tête
 *
 * En-tête commun du message ; l'émetteur est toujours la passerelle, le destinataire l'émetteur de la dernière orientation de la personne, et beneficiaryRef la référence de la personne lue dans cette orientation.
 */
export interface DossierRequestV1Header {
  /**
   * Identifiant du message
   *
   * UUID choisi par l'émetteur, unique pour toujours, écrit en minuscules (RFC 9562) ; c'est la clé d'idempotence du message.
   */
  messageId: string;
  /**
   * Type de message
   *
   * Type du message : toujours « dossier-request » pour ce schéma.
   */
  type: 'dossier-request';
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
 * Corps de la demande de partage
 *
 * Qui demande le dossier, de quelle orientation, avec quel accord de la personne, à l'issue de quelle recherche.
 */
export interface DossierRequestV1Body {
  /**
   * Acteur demandeur
   *
   * Identifiant du partenaire qui a trouvé la personne et à qui l'OFII adresse le dossier.
   */
  requestedBy: string;
  /**
   * Orientation à partager
   *
   * Identifiant du message de la dernière orientation de la personne acceptée par la passerelle.
   */
  orientationMessageId: string;
  personAgreement: DossierRequestV1PersonAgreement;
  /**
   * Identifiant de la recherche
   *
   * Identifiant de la recherche qui a trouvé la personne, tel que le journal d'audit le porte (messageId de l'entrée looked-up).
   */
  lookupId: string;
}
/**
 * Accord de la personne
 *
 * La personne a accepté que l'acteur demande à l'échange si elle est bénéficiaire du CIR et que son dossier lui soit partagé : date et canal de recueil de cet accord.
 */
export interface DossierRequestV1PersonAgreement {
  /**
   * Date de l'accord
   *
   * Date à laquelle l'acteur a recueilli l'accord de la personne.
   */
  recordedOn: string;
  /**
   * Canal de recueil
   *
   * ENTRETIEN_SPE (lors d'un entretien chez l'acteur), TELEPHONE, COURRIER ou ESPACE_EN_LIGNE (dans l'espace personnel en ligne de la personne).
   */
  channel: 'ENTRETIEN_SPE' | 'TELEPHONE' | 'COURRIER' | 'ESPACE_EN_LIGNE';
}
