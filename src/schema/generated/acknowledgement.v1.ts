/**
 * Generated — do not edit. Produced by scripts/generate-types.ts from schemas/acknowledgement.v1.schema.json.
 * Change the schema, then run `npm run generate:types`.
 */

/**
 * Accusé de prise en charge, version 1
 *
 * Réponse métier d'un acteur du service public de l'emploi à une orientation de l'OFII : reçue, acceptée, refusée (avec un motif codé) ou redirigée vers un autre type d'organisme.
 */
export interface AcknowledgementV1 {
  header: AcknowledgementV1Header;
  body: AcknowledgementV1Body;
}
/**
 * En-tête
 *
 * En-tête commun du message (contrat d'interface, section 3) ; inReplyTo est obligatoire et désigne l'orientation à laquelle l'accusé répond.
 */
export interface AcknowledgementV1Header {
  /**
   * Identifiant du message
   *
   * UUID choisi par l'émetteur, unique pour toujours, écrit en minuscules (RFC 9562) ; c'est la clé d'idempotence du message.
   */
  messageId: string;
  /**
   * Type de message
   *
   * Type du message : toujours « acknowledgement » pour ce schéma.
   */
  type: 'acknowledgement';
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
  inReplyTo: string;
}
/**
 * Corps de l'accusé de prise en charge
 *
 * Statut de prise en charge de l'orientation (recherche domaine, section 4.2).
 */
export interface AcknowledgementV1Body {
  /**
   * Statut de prise en charge
   *
   * RECUE (reçue, en cours d'examen), ACCEPTEE, REFUSEE (un motif de refus est alors obligatoire) ou REDIRIGEE (le type d'organisme de redirection est alors obligatoire).
   */
  status: 'RECUE' | 'ACCEPTEE' | 'REFUSEE' | 'REDIRIGEE';
  /**
   * Motif de refus
   *
   * Présent si et seulement si le statut est REFUSEE : NON_JOIGNABLE, NON_PRESENTE_RDV, NON_ELIGIBLE, DEJA_ACCOMPAGNE_AILLEURS, HORS_TERRITOIRE, REFUS_PERSONNE, DOUBLON ou AUTRE.
   */
  refusalReason?:
    | 'NON_JOIGNABLE'
    | 'NON_PRESENTE_RDV'
    | 'NON_ELIGIBLE'
    | 'DEJA_ACCOMPAGNE_AILLEURS'
    | 'HORS_TERRITOIRE'
    | 'REFUS_PERSONNE'
    | 'DOUBLON'
    | 'AUTRE';
  redirectedTo?: AcknowledgementV1RedirectedTo;
  /**
   * Date de premier contact prévue
   *
   * Date prévue du premier contact avec la personne.
   */
  plannedFirstContactOn?: string;
  /**
   * Référence locale
   *
   * Référence du dossier chez l'organisme qui répond (par exemple identifiant France Travail ou I-MILO) ; elle sert à la corrélation et ne décrit jamais la personne.
   */
  localReference?: string;
}
/**
 * Redirection
 *
 * Présent si et seulement si le statut est REDIRIGEE : organisme vers lequel l'orientation est redirigée.
 */
export interface AcknowledgementV1RedirectedTo {
  /**
   * Type d'organisme de redirection
   *
   * Type d'organisme vers lequel l'orientation est redirigée.
   */
  recipientType:
    'FRANCE_TRAVAIL' | 'MISSION_LOCALE' | 'CAP_EMPLOI' | 'PLIE_EPEC' | 'AGIR_FTDA' | 'VILLE_PARIS' | 'APEC' | 'AUTRE';
}
