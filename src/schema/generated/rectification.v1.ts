/**
 * Generated — do not edit. Produced by scripts/generate-types.ts from schemas/rectification.v1.schema.json.
 * Change the schema, then run `npm run generate:types`.
 */

/**
 * Rectification, version 1
 *
 * Rectification (RGPD art. 16) qu'envoie l'auteur d'un document à la passerelle : les champs du corps à corriger, désignés par des pointeurs JSON (RFC 6901), avec leur nouvelle valeur. La passerelle vérifie que l'émetteur est l'auteur du document corrigé et que la version corrigée reste valide contre le schéma de ce document, la garde dans le dossier de la personne et la fait suivre, signée par son auteur, à chaque acteur qui a reçu le document.
 */
export interface RectificationV1 {
  header: RectificationV1Header;
  body: RectificationV1Body;
}
/**
 * En-tête
 *
 * En-tête commun du message (contrat d'interface, section 3) ; le destinataire est toujours la passerelle, et beneficiaryRef désigne la personne du document corrigé.
 */
export interface RectificationV1Header {
  /**
   * Identifiant du message
   *
   * UUID choisi par l'émetteur, unique pour toujours, écrit en minuscules (RFC 9562) ; c'est la clé d'idempotence du message.
   */
  messageId: string;
  /**
   * Type de message
   *
   * Type du message : toujours « rectification » pour ce schéma.
   */
  type: 'rectification';
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
   * Toujours « passerelle » : la rectification s'adresse à la passerelle, qui la fait suivre sous forme d'avis de rectification aux acteurs qui ont reçu le document.
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
 * Corps de la rectification
 *
 * Le document corrigé, les modifications de son corps, le motif et la date de la demande.
 */
export interface RectificationV1Body {
  /**
   * Document corrigé
   *
   * Identifiant (messageId) du document que l'émetteur a lui-même envoyé et qu'il corrige : une orientation, un accusé, un événement de parcours ou une passerelle.
   */
  corrects: string;
  /**
   * Modifications
   *
   * Les modifications du corps du document, appliquées dans l'ordre : un sous-ensemble du JSON Patch de la RFC 6902 (opérations replace, remove et add), sur des chemins sous /body seulement.
   *
   * @minItems 1
   * @maxItems 20
   */
  changes: [RectificationV1ChangesItem, ...RectificationV1ChangesItem[]];
  /**
   * Motif
   *
   * ERREUR_DE_SAISIE (erreur de l'émetteur), DEMANDE_DE_LA_PERSONNE (exercice du droit de rectification, RGPD art. 16) ou MISE_A_JOUR (la situation a changé depuis l'envoi).
   */
  reason: 'ERREUR_DE_SAISIE' | 'DEMANDE_DE_LA_PERSONNE' | 'MISE_A_JOUR';
  /**
   * Date de la demande
   *
   * Date à laquelle la correction a été demandée ou constatée.
   */
  requestedOn: string;
}
/**
 * Modification
 *
 * Une opération sur un champ du corps : replace remplace la valeur d'un champ existant, remove supprime un champ existant, add ajoute un champ (ou un élément de liste) dans un objet ou une liste existants.
 */
export interface RectificationV1ChangesItem {
  /**
   * Opération
   *
   * replace, remove ou add, comme dans la RFC 6902 (section 4) ; écrit en minuscules comme dans la RFC.
   */
  op: string;
  /**
   * Chemin
   *
   * Pointeur JSON (RFC 6901) du champ dans le document corrigé, toujours sous /body : l'en-tête ne se corrige pas. Pour add dans une liste, le dernier segment est l'indice d'insertion ou « - » pour la fin.
   */
  path: string;
  /**
   * Nouvelle valeur
   *
   * La valeur du champ après la modification, de n'importe quel type JSON ; requise pour replace et add, absente pour remove. Elle est bornée par le schéma du document corrigé, contre lequel la version corrigée est validée.
   */
  value?: {
    [k: string]: unknown | undefined;
  };
}
