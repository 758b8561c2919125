/** The home page: who is signed in, and the pages of their role. */
export const accueil = {
  'accueil.title': 'Accueil',
  'accueil.heading': 'Console de la passerelle',
  'accueil.who': 'Vous êtes connecté au nom de {name}, avec le rôle {role}.',
  'accueil.via.certificate': 'Connexion par le certificat de votre organisation.',
  'accueil.via.oidc': 'Connexion par ProConnect.',
  'accueil.pages': 'Ce que votre rôle permet de consulter',
  'accueil.none': 'Votre rôle ne donne accès à aucune page de la console en dehors de celle-ci.',
} as const;
