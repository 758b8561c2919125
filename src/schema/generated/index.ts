/**
 * Generated — do not edit. Produced by scripts/generate-types.ts from every schemas/<type>.v<version>.schema.json.
 * Change the schema, then run `npm run generate:types`.
 */

import type { AcknowledgementV1 } from './acknowledgement.v1.js';
import type { CirReviewV1 } from './cir-review.v1.js';
import type { CorrectionV1 } from './correction.v1.js';
import type { DossierRequestV1 } from './dossier-request.v1.js';
import type { DossierV1 } from './dossier.v1.js';
import type { ExecutionReceiptV1 } from './execution-receipt.v1.js';
import type { ExpiryV1 } from './expiry.v1.js';
import type { OptOutV1 } from './opt-out.v1.js';
import type { OrientationV1 } from './orientation.v1.js';
import type { RectificationV1 } from './rectification.v1.js';
import type { ReferralV1 } from './referral.v1.js';
import type { StatusUpdateV1 } from './status-update.v1.js';
import type { WithdrawalV1 } from './withdrawal.v1.js';

export type * from './acknowledgement.v1.js';
export type * from './cir-review.v1.js';
export type * from './correction.v1.js';
export type * from './dossier-request.v1.js';
export type * from './dossier.v1.js';
export type * from './execution-receipt.v1.js';
export type * from './expiry.v1.js';
export type * from './opt-out.v1.js';
export type * from './orientation.v1.js';
export type * from './rectification.v1.js';
export type * from './referral.v1.js';
export type * from './status-update.v1.js';
export type * from './withdrawal.v1.js';

/** Any document that a schema of this version of the project describes. */
export type KnownDocument = AcknowledgementV1 | CirReviewV1 | CorrectionV1 | DossierRequestV1 | DossierV1 | ExecutionReceiptV1 | ExpiryV1 | OptOutV1 | OrientationV1 | RectificationV1 | ReferralV1 | StatusUpdateV1 | WithdrawalV1;
