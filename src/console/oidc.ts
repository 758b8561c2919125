/** Sign-in with OpenID Connect (ProConnect). */
import type express from 'express';

export interface OidcSignIn {
  router: express.Router;
}
