/**
 * Generated — do not edit. Produced by scripts/generate-types.ts from schemas/dossier.v1.schema.json.
 * Change the schema, then run `npm run generate:types`.
 */

/**
 * Document du dossier
 *
 * Un document tel que son émetteur l'a signé (signedMessage), ou une copie expurgée de ses données de santé attestée par la passerelle (redacted), avec ce qui permet de le retrouver.
 */
export type DossierV1DocumentsItem = (
  | {
      signedMessage: unknown;
    }
  | {
      redacted: unknown;
      type?: 'orientation';
    }
) & {
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
  signedMessage?: string;
  redacted?: DossierV1Redacted;
};

/**
 * Dossier de la personne, version 1
 *
 * Dossier qu'émet la passerelle, signé de sa propre clé et chiffré pour le nouvel acteur, en même temps qu'elle lui remet une passerelle : la dernière orientation de l'OFII et l'historique des accusés et des événements de parcours, chacun tel que son émetteur l'a signé, pour que le destinataire vérifie lui-même chaque signature d'origine ; ou, lorsque la personne a retiré son accord au partage de ses données de santé, l'orientation sans ses données de santé, attestée par la signature de la passerelle seule.
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
 * Copie expurgée
 *
 * À la place du message signé d'origine, lorsque la personne a retiré son accord au partage de ses données de santé (RGPD articles 9(2)(a) et 7(3)) : l'orientation de l'OFII sans ses données de santé. La signature de l'OFII ne peut pas couvrir une copie expurgée : c'est la signature du dossier par la passerelle qui atteste que la copie est l'orientation d'origine sans les champs nommés.
 */
export interface DossierV1Redacted {
  content: DossierV1Content;
  /**
   * Champs retirés
   *
   * Les pointeurs JSON (RFC 6901) des champs retirés, tels qu'ils étaient dans le document d'origine ; jamais leur valeur.
   *
   * @minItems 1
   * @maxItems 16
   *
   * Items: Champ retiré
   *
   * Pointeur JSON d'un champ retiré.
   */
  removedFields: [string, ...string[]];
  /**
   * Empreinte du document d'origine
   *
   * SHA-256 (hexadécimal) du document d'origine tel que son émetteur l'a signé, celle que l'émetteur a reçue dans l'accusé de la passerelle (payloadSha256).
   */
  originalSha256: string;
}
/**
 * Corps expurgé
 *
 * Le corps (body) de l'orientation d'origine sans les champs de santé retirés ; l'en-tête d'origine n'est pas repris : l'élément du dossier en donne l'identifiant, le type et l'émetteur.
 */
export interface DossierV1Content {
  identity: DossierV1Identity;
  contact?: DossierV1Contact;
  residencePermit: DossierV1ResidencePermit;
  cir: DossierV1Cir;
  language: DossierV1Language;
  education?: DossierV1Education;
  /**
   * Expériences professionnelles
   *
   * Expériences professionnelles, décrites par leur code ROME uniquement.
   *
   * @maxItems 20
   */
  experiences?: DossierV1ExperiencesItem[];
  /**
   * Projet professionnel
   *
   * Métiers recherchés et conditions souhaitées, sans prétentions salariales.
   *
   * @maxItems 5
   */
  professionalProject?: DossierV1ProfessionalProjectItem[];
  /**
   * Date de disponibilité
   *
   * Date à partir de laquelle la personne est disponible pour un emploi ou une formation.
   */
  availableFrom?: string;
  /**
   * Souhaite un accompagnement
   *
   * Vrai si la personne souhaite être accompagnée par un acteur du service public de l'emploi.
   */
  wantsSpeSupport: boolean;
  /**
   * Freins
   *
   * Freins à l'emploi selon les critères du Comité national pour l'emploi, réduits au thème et à l'impact (jamais de situation en texte libre).
   *
   * @maxItems 8
   */
  constraints?: DossierV1ConstraintsItem[];
  situation?: DossierV1Situation;
  disability?: DossierV1Disability;
  consent?: DossierV1Consent;
  orientation: DossierV1Orientation;
  personInformed: DossierV1PersonInformed;
}
/**
 * Identité
 *
 * Identité minimale de la personne, telle que la connaît l'OFII.
 */
export interface DossierV1Identity {
  /**
   * Nom de naissance
   *
   * Nom de naissance, tel qu'il figure sur le titre de séjour.
   */
  birthName: string;
  /**
   * Nom d'usage
   *
   * Nom d'usage, s'il diffère du nom de naissance.
   */
  usageName?: string;
  /**
   * Prénoms
   *
   * Prénoms dans l'ordre de l'état civil ; liste vide quand l'état civil étranger n'en mentionne aucun.
   *
   * @maxItems 10
   *
   * Items: Prénom
   *
   * Un prénom.
   */
  givenNames: string[];
  /**
   * Sexe
   *
   * Sexe à l'état civil : F (féminin) ou M (masculin).
   */
  sex: 'F' | 'M';
  /**
   * Date de naissance
   *
   * Date de naissance ; quand l'état civil étranger ne donne que l'année, le jour et le mois valent 01 (AAAA-01-01), comme sur le titre de séjour.
   */
  birthDate: string;
  birthPlace: DossierV1BirthPlace;
  /**
   * Nationalité
   *
   * Nationalité, en code pays ISO 3166-1 alpha-3 (par exemple AFG, CIV, UKR).
   */
  nationality: string;
}
/**
 * Lieu de naissance
 *
 * Lieu de naissance selon le Code officiel géographique de l'INSEE.
 */
export interface DossierV1BirthPlace {
  /**
   * Commune de naissance
   *
   * Code INSEE de la commune de naissance, pour une naissance en France seulement.
   */
  commune?: string;
  /**
   * Pays de naissance
   *
   * Code INSEE du pays de naissance (99 suivi de trois chiffres ; 99100 pour la France).
   */
  countryCode: string;
}
/**
 * Coordonnées
 *
 * Moyens de joindre la personne.
 */
export interface DossierV1Contact {
  address?: DossierV1Address;
  /**
   * Téléphone
   *
   * Numéro de téléphone au format international E.164 (par exemple +33612345678).
   */
  phone?: string;
  /**
   * Courriel
   *
   * Adresse de courriel de la personne.
   */
  email?: string;
  /**
   * Préférences de contact
   *
   * Moyens de contact préférés, par ordre de préférence.
   *
   * @maxItems 4
   *
   * Items: Moyen de contact
   *
   * TELEPHONE, EMAIL, REFERENT (passer par un référent) ou AUTRE.
   */
  contactPreferences?: ('TELEPHONE' | 'EMAIL' | 'REFERENT' | 'AUTRE')[];
  /**
   * Langue de communication
   *
   * Langue dans laquelle la personne souhaite être contactée, en code ISO 639-3.
   */
  communicationLanguage?: string;
  /**
   * Besoin d'interprète
   *
   * Vrai si un interprète est nécessaire pour les entretiens.
   */
  interpreterNeeded?: boolean;
}
/**
 * Adresse
 *
 * Adresse de résidence ou de domiciliation, normalisée selon la Base adresse nationale.
 */
export interface DossierV1Address {
  /**
   * Numéro et voie
   *
   * Numéro et libellé de la voie tels que les normalise la Base adresse nationale, sur une seule ligne.
   */
  streetLine: string;
  /**
   * Code postal
   *
   * Code postal à cinq chiffres.
   */
  postCode: string;
  /**
   * Code INSEE de la commune
   *
   * Code INSEE de la commune ou de l'arrondissement municipal (75101 à 75120 pour Paris).
   */
  inseeCode: string;
  /**
   * Domiciliation administrative
   *
   * Vrai si l'adresse est celle d'un organisme de domiciliation et non un logement.
   */
  domiciliation: boolean;
}
/**
 * Titre de séjour
 *
 * Document de séjour en cours de validité.
 */
export interface DossierV1ResidencePermit {
  /**
   * Type de document
   *
   * VLS_TS (visa long séjour valant titre de séjour), CST (carte de séjour temporaire), CSP (carte de séjour pluriannuelle), CR (carte de résident), CRA (certificat de résidence algérien), APS (autorisation provisoire de séjour), RECEPISSE, AUTRE.
   */
  documentType: 'VLS_TS' | 'CST' | 'CSP' | 'CR' | 'CRA' | 'APS' | 'RECEPISSE' | 'AUTRE';
  /**
   * Motif de séjour
   *
   * Motif du titre dans le périmètre de la convention de Paris : famille (FAM_*), motif professionnel (PRO_*), protection internationale (PI_*) ou autorisation provisoire de séjour (APS).
   */
  grounds:
    | 'FAM_CONJOINT_FR'
    | 'FAM_PARENT_ENFANT_FR'
    | 'FAM_REGROUPEMENT'
    | 'FAM_LIENS_PERSO'
    | 'FAM_JEUNE_MAJEUR'
    | 'FAM_AUTRE'
    | 'PRO_SALARIE'
    | 'PRO_ENTREPRENEUR'
    | 'PRO_AUTRE'
    | 'PI_REFUGIE'
    | 'PI_PROTECTION_SUBSIDIAIRE'
    | 'PI_APATRIDE'
    | 'PI_FAMILLE_BPI'
    | 'APS';
  /**
   * Début de validité
   *
   * Premier jour de validité du document.
   */
  validFrom: string;
  /**
   * Fin de validité
   *
   * Dernier jour de validité du document.
   */
  validUntil: string;
  /**
   * Date de première délivrance
   *
   * Date de délivrance du premier titre de séjour ; elle fonde la règle des moins de cinq ans (primo-arrivant).
   */
  firstIssuedOn: string;
  /**
   * Date d'obtention de la protection
   *
   * Pour un motif PI_*, date à laquelle la protection internationale a été accordée ; elle fonde l'éligibilité au programme AGIR.
   */
  protectionGrantedOn?: string;
  /**
   * Autorise à travailler
   *
   * Vrai si le document autorise son titulaire à travailler.
   */
  workAuthorised: boolean;
}
/**
 * Contrat d'intégration républicaine
 *
 * Situation du contrat d'intégration républicaine (CESEDA L.413-2 et suivants).
 */
export interface DossierV1Cir {
  /**
   * Modalité
   *
   * OBLIGATOIRE, ou SUR_PROPOSITION pour les ressortissants algériens (accord franco-algérien du 27 décembre 1968).
   */
  modality: 'OBLIGATOIRE' | 'SUR_PROPOSITION';
  /**
   * Statut
   *
   * SIGNE, EN_COURS, ACHEVE, ROMPU ou NON_SIGNE_REFUS.
   */
  status: 'SIGNE' | 'EN_COURS' | 'ACHEVE' | 'ROMPU' | 'NON_SIGNE_REFUS';
  /**
   * Date de signature
   *
   * Date de signature du contrat ; obligatoire sauf si le contrat n'a pas été signé.
   */
  signedOn?: string;
  /**
   * Date de fin prévue
   *
   * Date de fin prévue du contrat.
   */
  plannedEndOn?: string;
  /**
   * Dispense de conseil en orientation
   *
   * Vrai si la personne a demandé à être dispensée du conseil en orientation professionnelle (CESEDA L.413-3, R.413-14).
   */
  orientationAdviceWaived: boolean;
}
/**
 * Langue française
 *
 * Niveau de français et formation linguistique prescrite.
 */
export interface DossierV1Language {
  /**
   * Niveau initial
   *
   * Niveau CECRL mesuré par le test de positionnement de l'OFII.
   */
  initialLevel: 'INFRA_A1' | 'A1' | 'A2' | 'B1' | 'B2' | 'C1' | 'C2';
  /**
   * Parcours prescrit
   *
   * Parcours de formation linguistique prescrit : A1 de 100, 200, 400 ou 600 heures, A2 ou B1 de 100 heures, ou DISPENSE.
   */
  prescribedCourse?: 'A1_100H' | 'A1_200H' | 'A1_400H' | 'A1_600H' | 'A2_100H' | 'B1_100H' | 'DISPENSE';
  /**
   * Statut de la formation
   *
   * PRESCRITE, EN_COURS, TERMINEE, ABANDON ou DISPENSEE.
   */
  courseStatus?: 'PRESCRITE' | 'EN_COURS' | 'TERMINEE' | 'ABANDON' | 'DISPENSEE';
  /**
   * Niveau atteint
   *
   * Niveau CECRL atteint en fin de formation.
   */
  levelReached?: 'INFRA_A1' | 'A1' | 'A2' | 'B1' | 'B2' | 'C1' | 'C2';
  /**
   * Certification
   *
   * Certification obtenue : TCF_IRN, TEF_IRN, DELF_A1, DELF_A2, DELF_B1, DELF_B2 ou AUTRE.
   */
  certification?: 'TCF_IRN' | 'TEF_IRN' | 'DELF_A1' | 'DELF_A2' | 'DELF_B1' | 'DELF_B2' | 'AUTRE';
}
/**
 * Formation initiale
 *
 * Niveau de formation et reconnaissance des diplômes étrangers.
 */
export interface DossierV1Education {
  /**
   * Niveau de formation
   *
   * Code de niveau de France Travail : AFS (aucune formation scolaire), CP4 (primaire à 4e), CFG (4e achevée), C3A (BEPC ou 3e), C12 (2nde ou 1re achevée), NV5 (CAP, BEP), NV4 (Bac), NV3 (Bac+2), NV2 (Bac+3 ou 4), NV1 (Bac+5 et plus).
   */
  level: 'AFS' | 'CP4' | 'CFG' | 'C3A' | 'C12' | 'NV5' | 'NV4' | 'NV3' | 'NV2' | 'NV1';
  /**
   * Reconnaissance du diplôme étranger
   *
   * État de la reconnaissance du plus haut diplôme étranger (attestation ENIC-NARIC) : RECONNU, EN_COURS, NON_RECONNU ou SANS_OBJET.
   */
  foreignDiplomaRecognition?: 'RECONNU' | 'EN_COURS' | 'NON_RECONNU' | 'SANS_OBJET';
}
/**
 * Expérience professionnelle
 *
 * Une expérience professionnelle.
 */
export interface DossierV1ExperiencesItem {
  /**
   * Métier
   *
   * Code ROME du métier exercé.
   */
  romeCode: string;
  /**
   * En France
   *
   * Vrai si l'expérience a eu lieu en France, faux si elle a eu lieu à l'étranger.
   */
  inFrance: boolean;
  /**
   * Durée en mois
   *
   * Durée de l'expérience, en mois.
   */
  durationMonths?: number;
  /**
   * Année de fin
   *
   * Année de fin de l'expérience.
   */
  endYear?: number;
}
/**
 * Métier recherché
 *
 * Un métier recherché.
 */
export interface DossierV1ProfessionalProjectItem {
  /**
   * Métier
   *
   * Code ROME du métier recherché.
   */
  romeCode: string;
  /**
   * Rayon de mobilité
   *
   * Distance maximale acceptée entre le domicile et le lieu de travail, en kilomètres.
   */
  mobilityRadiusKm?: number;
  /**
   * Types de contrat souhaités
   *
   * CDI, CDD, INTERIM, SAISONNIER, LIBERAL, CONTRAT_PROFESSIONNALISATION, APPRENTISSAGE ou PORTAGE_SALARIAL.
   *
   * @maxItems 8
   *
   * Items: Type de contrat
   *
   * Un type de contrat souhaité.
   */
  contractTypes?: (
    | 'CDI'
    | 'CDD'
    | 'INTERIM'
    | 'SAISONNIER'
    | 'LIBERAL'
    | 'CONTRAT_PROFESSIONNALISATION'
    | 'APPRENTISSAGE'
    | 'PORTAGE_SALARIAL'
  )[];
  /**
   * Temps de travail souhaité
   *
   * PLEIN (temps plein) ou PARTIEL (temps partiel).
   */
  workingTime?: 'PLEIN' | 'PARTIEL';
}
/**
 * Frein
 *
 * Un frein à l'emploi.
 */
export interface DossierV1ConstraintsItem {
  /**
   * Thème
   *
   * LOGEMENT, MOBILITE, SANTE, CONTRAINTES_FAMILIALES (garde d'enfant, proche aidant), MAITRISE_LANGUE, NUMERIQUE, DIFFICULTE_ADMINISTRATIVE ou DIFFICULTE_FINANCIERE.
   */
  theme:
    | 'LOGEMENT'
    | 'MOBILITE'
    | 'SANTE'
    | 'CONTRAINTES_FAMILIALES'
    | 'MAITRISE_LANGUE'
    | 'NUMERIQUE'
    | 'DIFFICULTE_ADMINISTRATIVE'
    | 'DIFFICULTE_FINANCIERE';
  /**
   * Impact
   *
   * AUCUN, LEGER ou BLOQUANT.
   */
  impact: 'AUCUN' | 'LEGER' | 'BLOQUANT';
}
/**
 * Situation sociale
 *
 * Éléments de situation sociale utiles à l'orientation, sous forme de codes.
 */
export interface DossierV1Situation {
  /**
   * Hébergement
   *
   * LOGEMENT_PERSONNEL, TIERS (hébergé chez un tiers), HEBERGEMENT_COLLECTIF (CHRS, CHU, CPH, CADA, HUDA), HOTEL ou SANS.
   */
  housing?: 'LOGEMENT_PERSONNEL' | 'TIERS' | 'HEBERGEMENT_COLLECTIF' | 'HOTEL' | 'SANS';
  /**
   * Enfants à charge
   *
   * Nombre d'enfants à charge.
   */
  dependentChildren?: number;
  /**
   * Enfant de moins de 3 ans sans garde
   *
   * Vrai si un enfant de moins de trois ans n'a pas de solution de garde.
   */
  childUnder3WithoutCare?: boolean;
  /**
   * Permis de conduire
   *
   * FR (permis français), ETRANGER_ECHANGEABLE, ETRANGER_NON_ECHANGEABLE ou AUCUN.
   */
  drivingLicence?: 'FR' | 'ETRANGER_ECHANGEABLE' | 'ETRANGER_NON_ECHANGEABLE' | 'AUCUN';
  /**
   * Bénéficiaire du RSA
   *
   * Vrai si la personne perçoit le revenu de solidarité active (CASF L.262-4).
   */
  rsaBeneficiary?: boolean;
  /**
   * Droit ouvert à l'ARE
   *
   * Vrai si un droit à l'allocation d'aide au retour à l'emploi est ouvert.
   */
  unemploymentBenefitEntitled?: boolean;
}
/**
 * Handicap
 *
 * Donnée de santé (RGPD art. 9) : présente seulement avec l'accord explicite de la personne (consent.healthData vrai), et seulement pour Cap emploi et France Travail.
 */
export interface DossierV1Disability {
  /**
   * Reconnaissance de la qualité de travailleur handicapé
   *
   * OUI, EN_COURS (demande déposée), NON ou NON_RENSEIGNE.
   */
  rqth: 'OUI' | 'EN_COURS' | 'NON' | 'NON_RENSEIGNE';
  /**
   * Autres titres de bénéficiaire de l'obligation d'emploi
   *
   * Autres titres ouvrant l'obligation d'emploi (code du travail L.5212-13) : AAH, PENSION_INVALIDITE, RENTE_ATMP, CARTE_INVALIDITE.
   *
   * @maxItems 4
   *
   * Items: Titre de bénéficiaire
   *
   * Un titre de bénéficiaire de l'obligation d'emploi.
   */
  otherBeneficiaryStatus?: ('AAH' | 'PENSION_INVALIDITE' | 'RENTE_ATMP' | 'CARTE_INVALIDITE')[];
}
/**
 * Accords de la personne
 *
 * Accords explicites de la personne pour les données sensibles ; le flux principal repose sur la mission de service public (RGPD art. 6-1-e), pas sur le consentement.
 */
export interface DossierV1Consent {
  /**
   * Accord pour les données de santé
   *
   * Vrai si la personne accepte la transmission de ses données de handicap à Cap emploi et France Travail.
   */
  healthData: boolean;
  /**
   * Date de l'accord
   *
   * Date à laquelle la personne a donné son accord pour les données de santé ; obligatoire quand l'accord est donné.
   */
  healthDataGivenOn?: string;
}
/**
 * Orientation proposée
 *
 * Proposition d'orientation de l'OFII ; la décision d'orientation appartient à l'organisme référent.
 */
export interface DossierV1Orientation {
  /**
   * Type de destinataire
   *
   * Type d'organisme vers lequel la personne est orientée.
   */
  recipientType:
    'FRANCE_TRAVAIL' | 'MISSION_LOCALE' | 'CAP_EMPLOI' | 'PLIE_EPEC' | 'AGIR_FTDA' | 'VILLE_PARIS' | 'APEC' | 'AUTRE';
  /**
   * Parcours proposé
   *
   * Parcours proposé selon les critères du Comité national pour l'emploi.
   */
  pathway: 'EMPLOI' | 'SOCIO_PRO' | 'SOCIAL';
  /**
   * Motif d'orientation
   *
   * AGE_MOINS_26, HANDICAP, BPI_AGIR, BRSA, FREINS_MULTIPLES, PROJET_DEFINI ou DEMANDE_PERSONNE.
   */
  reasonCode:
    'AGE_MOINS_26' | 'HANDICAP' | 'BPI_AGIR' | 'BRSA' | 'FREINS_MULTIPLES' | 'PROJET_DEFINI' | 'DEMANDE_PERSONNE';
  /**
   * Date de l'entretien OFII
   *
   * Date de l'entretien de l'OFII (entretien personnalisé ou de fin de contrat) au cours duquel l'orientation a été proposée.
   */
  interviewOn: string;
  /**
   * Urgent
   *
   * Vrai si la prise de contact doit être rapide.
   */
  urgent?: boolean;
}
/**
 * Information de la personne
 *
 * Comment la personne a été informée de la transmission de ses données (RGPD art. 13).
 */
export interface DossierV1PersonInformed {
  /**
   * Date de l'information
   *
   * Date à laquelle la personne a été informée.
   */
  on: string;
  /**
   * Modalité de l'information
   *
   * ORAL_FRANCAIS, ORAL_INTERPRETE, ECRIT_FRANCAIS ou ECRIT_TRADUIT (notice écrite traduite dans la langue de la personne).
   */
  modality: 'ORAL_FRANCAIS' | 'ORAL_INTERPRETE' | 'ECRIT_FRANCAIS' | 'ECRIT_TRADUIT';
  /**
   * Langue de l'information
   *
   * Langue dans laquelle l'information a été donnée, en code ISO 639-3.
   */
  language?: string;
  /**
   * Version de la notice
   *
   * Version de la notice d'information remise (par exemple 2026-01 ou 1.2).
   */
  noticeVersion: string;
}
