/** Wording shared by every page: the shell, navigation, sign-in and errors. */
export const common = {
  'service.name': 'Passerelle',
  'service.tagline': 'Échange sécurisé de données entre l’OFII et le service public de l’emploi de Paris',
  'ministry': 'République française',
  'nav.label': 'Menu principal',
  'nav.home': 'Accueil',
  'skip.content': 'Aller au contenu',
  'error.generic': 'La demande n’a pas abouti. Réessayez ; si l’erreur persiste, contactez l’exploitant de la passerelle en citant l’identifiant de requête {requestId}.',
  'error.unauthenticated': 'Vous n’êtes pas connecté. Connectez-vous avec votre certificat ou avec ProConnect.',
  'error.forbidden': 'Votre rôle ne donne pas accès à ces informations.',
  'error.not_found': 'Aucun élément de ce type n’est visible pour votre organisation.',
  'error.rate_limited': 'Trop de demandes en peu de temps. Réessayez dans une minute.',
  'loading': 'Chargement…',
} as const;
