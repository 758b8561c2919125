/**
 * One door to OpenPGP: only src/crypto imports openpgp. Everything else goes through the crypto service
 * (src/crypto/service.ts) or the functions of src/crypto, and names keys with the types src/crypto/keys.ts
 * re-exports, so that the hardened configuration, the packet checks and the worker pool cannot be
 * bypassed by a module that calls openpgp on its own.
 *
 * No exception: the auditor's offline verifier (src/audit/verify.ts, src/audit/checkpoint.ts) verifies
 * through INLINE_CRYPTO, which loads no worker code, so it needs no openpgp import of its own.
 *
 * The files are parsed with the TypeScript compiler rather than searched with a pattern, so that every
 * form counts (static and type-only imports, re-exports, side-effect imports, dynamic `import()`,
 * `import x = require()`, `require()`, `typeof import()` in a type) and a comment or a string that
 * mentions openpgp does not.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { importsOf, sourceFiles } from '../fixtures/imports.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SOURCE = path.join(ROOT, 'src');
/** The only folder allowed to import openpgp. */
const DOOR = path.join(SOURCE, 'crypto') + path.sep;

/** 'openpgp' and its entry points ('openpgp/lightweight' …). */
function isOpenpgp(specifier: string): boolean {
  return specifier === 'openpgp' || specifier.startsWith('openpgp/');
}

function openpgpImports(fileName: string, text: string) {
  return importsOf(fileName, text).filter((found) => isOpenpgp(found.specifier));
}

describe('architecture: one door to OpenPGP', () => {
  it('no file of src/ outside src/crypto imports openpgp', () => {
    const files = sourceFiles(SOURCE);
    // The walk found the tree, not an empty folder: the door itself imports openpgp.
    expect(files.filter((file) => file.startsWith(DOOR) && openpgpImports(file, fs.readFileSync(file, 'utf8')).length > 0)).to.not.be.empty;
    const offences = files
      .filter((file) => !file.startsWith(DOOR))
      .flatMap((file) => openpgpImports(file, fs.readFileSync(file, 'utf8')).map((found) => `${path.relative(ROOT, file)}:${found.line}: ${found.form} of openpgp`));
    expect(offences, `Only src/crypto may import openpgp; use the crypto service (src/crypto/service.ts) or the key types of src/crypto/keys.ts instead:\n${offences.join('\n')}\n`).to.deep.equal([]);
  });

  it('recognises every form of import, and neither comments nor strings', () => {
    const forms = [
      "import * as openpgp from 'openpgp';",
      "import { readKey } from 'openpgp';",
      "import type { PublicKey } from 'openpgp';",
      "import 'openpgp';",
      "import { generateKey } from 'openpgp/lightweight';",
      "export { readKey } from 'openpgp';",
      "export type { PublicKey } from 'openpgp';",
      "export * from 'openpgp';",
      "const lazy = await import('openpgp');",
      "import legacy = require('openpgp');",
      "const required = require('openpgp');",
      "type Key = import('openpgp').PublicKey;",
    ];
    for (const form of forms) expect(openpgpImports('sample.ts', `// line 1\n${form}\n`), form).to.have.length(1).and.to.have.nested.property('[0].line', 2);
    expect(openpgpImports('sample.mjs', "const { readKey } = await import('openpgp');\n"), 'in a .mjs file').to.have.length(1);
    const innocent = [
      "// import { readKey } from 'openpgp';",
      "/** See openpgp's readKey: import('openpgp') */",
      "const text = \"import { readKey } from 'openpgp'\";",
      "import { readKeyRing } from '../crypto/keys.js';",
      "import { openpgpKeyPair } from '../crypto/key-generation.js';",
      "const file = 'openpgp.asc';",
    ];
    for (const text of innocent) expect(openpgpImports('sample.ts', text), text).to.deep.equal([]);
  });
});
