/**
 * Generated — do not edit. Produced by scripts/generate-types.ts from schemas/status-update.v1.schema.json.
 * Change the schema, then run `npm run generate:types`.
 */

/**
 * Événement de parcours, version 1
 *
 * Événement du parcours d'une personne orientée, que l'acteur du service public de l'emploi transmet à l'OFII. L'OFII ne reçoit que ce dont il a besoin pour l'entretien de fin de contrat et les statistiques : ni diagnostic, ni nom d'employeur, ni salaire, ni texte libre.
 */
export interface StatusUpdateV1 {
  header: StatusUpdateV1Header;
  body: StatusUpdateV1Body;
}
/**
 * En-tête
 *
 * En-tête commun du message (contrat d'interface, section 3) ; inReplyTo est obligatoire et désigne l'orientation que l'événement concerne.
 */
export interface StatusUpdateV1Header {
  /**
   * Identifiant du message
   *
   * UUID choisi par l'émetteur, unique pour toujours, écrit en minuscules (RFC 9562) ; c'est la clé d'idempotence du message.
   */
  messageId: string;
  /**
   * Type de message
   *
   * Type du message : toujours « status-update » pour ce schéma.
   */
  type: 'status-update';
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
 * Corps de l'événement de parcours
 *
 * Un événement et, selon son type, un seul bloc de détail codé (recherche domaine, sections 3.10 et 4.3).
 */
export interface StatusUpdateV1Body {
  event: StatusUpdateV1Event;
  decidedOrientation?: StatusUpdateV1DecidedOrientation;
  contract?: StatusUpdateV1Contract;
  training?: StatusUpdateV1Training;
  employment?: StatusUpdateV1Employment;
  endOfSupport?: StatusUpdateV1EndOfSupport;
  appointment?: StatusUpdateV1Appointment;
}
/**
 * Événement
 *
 * Type et date de l'événement de parcours.
 */
export interface StatusUpdateV1Event {
  /**
   * Type d'événement
   *
   * INSCRIT_FT, RDV_PLANIFIE, PREMIER_ENTRETIEN_REALISE, ABSENT_RDV, NON_JOIGNABLE, ORIENTATION_DECIDEE, CONTRAT_ENGAGEMENT_SIGNE, ENTREE_FORMATION, SORTIE_FORMATION, ENTREE_EMPLOI, ENTREE_IAE, CREATION_ENTREPRISE, REORIENTATION ou FIN_ACCOMPAGNEMENT.
   */
  type:
    | 'INSCRIT_FT'
    | 'RDV_PLANIFIE'
    | 'PREMIER_ENTRETIEN_REALISE'
    | 'ABSENT_RDV'
    | 'NON_JOIGNABLE'
    | 'ORIENTATION_DECIDEE'
    | 'CONTRAT_ENGAGEMENT_SIGNE'
    | 'ENTREE_FORMATION'
    | 'SORTIE_FORMATION'
    | 'ENTREE_EMPLOI'
    | 'ENTREE_IAE'
    | 'CREATION_ENTREPRISE'
    | 'REORIENTATION'
    | 'FIN_ACCOMPAGNEMENT';
  /**
   * Date d'effet
   *
   * Date à laquelle l'événement a pris effet, sans heure, par minimisation.
   */
  effectiveOn: string;
}
/**
 * Orientation décidée
 *
 * Obligatoire pour ORIENTATION_DECIDEE, permis pour REORIENTATION, interdit sinon : parcours et type d'organisme référent décidés.
 */
export interface StatusUpdateV1DecidedOrientation {
  /**
   * Parcours décidé
   *
   * Parcours décidé selon les critères du Comité national pour l'emploi.
   */
  pathway: 'EMPLOI' | 'SOCIO_PRO' | 'SOCIAL';
  /**
   * Type d'organisme référent
   *
   * Type de l'organisme référent désigné.
   */
  referentType:
    'FRANCE_TRAVAIL' | 'MISSION_LOCALE' | 'CAP_EMPLOI' | 'PLIE_EPEC' | 'AGIR_FTDA' | 'VILLE_PARIS' | 'APEC' | 'AUTRE';
}
/**
 * Contrat d'engagement
 *
 * Obligatoire pour CONTRAT_ENGAGEMENT_SIGNE, interdit sinon.
 */
export interface StatusUpdateV1Contract {
  /**
   * Type de contrat d'engagement
   *
   * CEJ (contrat d'engagement jeune), PACEA, CONTRAT_ENGAGEMENT (code du travail L.5411-6) ou CER (contrat d'engagements réciproques du RSA).
   */
  type: 'CEJ' | 'PACEA' | 'CONTRAT_ENGAGEMENT' | 'CER';
}
/**
 * Formation
 *
 * Obligatoire pour ENTREE_FORMATION et SORTIE_FORMATION, interdit sinon.
 */
export interface StatusUpdateV1Training {
  /**
   * Type de formation
   *
   * LINGUISTIQUE_VISEE_PRO, PREQUALIFIANTE, QUALIFIANTE, POEI_POEC ou AUTRE.
   */
  type: 'LINGUISTIQUE_VISEE_PRO' | 'PREQUALIFIANTE' | 'QUALIFIANTE' | 'POEI_POEC' | 'AUTRE';
  /**
   * Durée en heures
   *
   * Durée totale de la formation, en heures.
   */
  durationHours?: number;
  /**
   * Date de fin prévue
   *
   * Date de fin prévue de la formation.
   */
  plannedEndOn?: string;
}
/**
 * Emploi
 *
 * Obligatoire pour ENTREE_EMPLOI, interdit sinon ; sans nom d'employeur ni salaire.
 */
export interface StatusUpdateV1Employment {
  /**
   * Type de contrat de travail
   *
   * CDI, CDD_6M_PLUS (CDD de six mois ou plus), CDD_MOINS_6M, INTERIM, IAE, ALTERNANCE ou INDEPENDANT.
   */
  contractType: 'CDI' | 'CDD_6M_PLUS' | 'CDD_MOINS_6M' | 'INTERIM' | 'IAE' | 'ALTERNANCE' | 'INDEPENDANT';
  /**
   * Temps de travail
   *
   * PLEIN (temps plein) ou PARTIEL (temps partiel).
   */
  workingTime: 'PLEIN' | 'PARTIEL';
  /**
   * Métier
   *
   * Code ROME de l'emploi occupé.
   */
  romeCode?: string;
}
/**
 * Fin d'accompagnement
 *
 * Obligatoire pour FIN_ACCOMPAGNEMENT, interdit sinon.
 */
export interface StatusUpdateV1EndOfSupport {
  /**
   * Motif de fin
   *
   * EMPLOI_DURABLE, FORMATION_QUALIFIANTE, DEMENAGEMENT, ABANDON, RADIATION ou AUTRE.
   */
  reason: 'EMPLOI_DURABLE' | 'FORMATION_QUALIFIANTE' | 'DEMENAGEMENT' | 'ABANDON' | 'RADIATION' | 'AUTRE';
}
/**
 * Rendez-vous
 *
 * Obligatoire pour RDV_PLANIFIE et ABSENT_RDV, interdit sinon ; codes du service rendez-vous partenaire de France Travail.
 */
export interface StatusUpdateV1Appointment {
  /**
   * Statut du rendez-vous
   *
   * PRIS, EFFECTUE, MODIFIE, ABSENT ou ANNULE.
   */
  status: 'PRIS' | 'EFFECTUE' | 'MODIFIE' | 'ABSENT' | 'ANNULE';
  /**
   * Modalité du rendez-vous
   *
   * PHYSIQUE, TELEPHONE ou VISIO.
   */
  modality: 'PHYSIQUE' | 'TELEPHONE' | 'VISIO';
}
