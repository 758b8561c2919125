/**
 * node:zlib for the browser bundles: src/crypto (reached by src/audit through imports) inflates
 * messages the gateway forwards, which a console page never does. Calling it is a programming error.
 */
function unavailable(): never {
  throw new Error('console bundle: zlib is not available in the browser');
}

export const inflateRawSync = unavailable;
export const inflateSync = unavailable;
export default { inflateRawSync, inflateSync };
