/**
 * Generated — do not edit. Produced by scripts/generate-types.ts from every schemas/<type>.v<version>.schema.json.
 * Change the schema, then run `npm run generate:types`.
 */

import type { AcknowledgementV1 } from './acknowledgement.v1.js';
import type { OrientationV1 } from './orientation.v1.js';
import type { StatusUpdateV1 } from './status-update.v1.js';

export type * from './acknowledgement.v1.js';
export type * from './orientation.v1.js';
export type * from './status-update.v1.js';

/** Any document that a schema of this version of the project describes. */
export type KnownDocument = AcknowledgementV1 | OrientationV1 | StatusUpdateV1;
