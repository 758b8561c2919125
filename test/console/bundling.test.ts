/**
 * The console's browser bundles: the synchronous SHA-256 that stands in for node:crypto (@noble/hashes)
 * matches Node's, and the gateway's audit code (src/audit, unchanged) bundles with the console's esbuild
 * options and computes in Chromium the same leaf hashes, root and checkpoint verdicts as in Node.
 */
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { expect } from 'chai';
import { build } from 'esbuild';
import fc from 'fast-check';
import type { Browser } from 'playwright-core';
import { bundleOptions } from '../../src/console/bundles.js';
import { createHash as browserHash } from '../../src/console/browser/shims/node-crypto.js';
import { entryBytes, leafHash, toEntry } from '../../src/audit/entry.js';
import { rootOf } from '../../src/audit/merkle.js';
import { signCheckpoint } from '../../src/audit/checkpoint.js';
import { readPrivateKey } from '../../src/crypto/keys.js';
import { launchBrowser } from '../fixtures/browser.js';
import { EXAMPLE_CERTS } from '../fixtures/gateway.js';

describe('console: browser bundles', () => {
  it('computes SHA-256 as node:crypto does, for any input and any split into updates', () => {
    for (const length of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000]) {
      const data = Buffer.alloc(length, length % 251);
      expect(browserHash('sha256').update(data).digest('hex'), `length ${length}`).to.equal(createHash('sha256').update(data).digest('hex'));
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (data, cut) => {
        const at = Math.min(cut, data.length);
        const ours = browserHash('sha256').update(data.subarray(0, at)).update(data.subarray(at)).digest('hex');
        return ours === createHash('sha256').update(data).digest('hex');
      }),
      { numRuns: 300 },
    );
  });

  describe('src/audit bundled for Chromium @integration', function () {
    this.timeout(120_000);
    let browser: Browser;
    before(async () => {
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
    });

    it('gives the same leaf hashes and root as Node, and checks the checkpoint signature with openpgp in the browser', async () => {
      const options = bundleOptions();
      const result = await build({ ...options, entryPoints: [path.join(import.meta.dirname, 'fixtures', 'audit-in-browser.ts')], splitting: false, format: 'iife', write: false, outdir: '/tmp/unused', minify: false });
      const code = result.outputFiles.find((file) => file.path.endsWith('.js'))!.text;
      expect(code).to.not.match(/require\(["']node:/);

      const events = [
        { event: 'message.accepted', at: '2026-01-01T10:00:00.000Z', messageId: '00000000-0000-4000-8000-000000000001', sender: 'ofii-paris', recipient: 'france-travail-paris', type: 'orientation' },
        { event: 'message.published', at: '2026-01-01T10:00:01.000Z', messageId: '00000000-0000-4000-8000-000000000001', sender: 'ofii-paris', recipient: 'france-travail-paris', type: 'orientation' },
        { event: 'message.acknowledged', at: '2026-01-01T10:05:00.000Z', messageId: '00000000-0000-4000-8000-000000000001', sender: 'france-travail-paris', recipient: 'ofii-paris', type: 'acknowledgement' },
      ];
      const leaves = events.map((event, index) => leafHash(entryBytes(toEntry(index, event as never))));
      const root = rootOf(leaves);
      const gatewayKey = await readPrivateKey({ armored: fs.readFileSync(path.join(EXAMPLE_CERTS, 'gateway', 'openpgp.key.asc'), 'utf8'), source: 'certs.example/gateway/openpgp.key.asc' });
      const checkpoint = await signCheckpoint({ treeSize: 3, rootHash: root, timestamp: '2026-01-01T10:06:00Z' }, gatewayKey);

      const page = await (await browser.newContext()).newPage();
      try {
        // WebCrypto (openpgp's) exists in secure contexts only: an https page, answered by the test.
        await page.route('https://console.test/', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>audit</title>' }));
        await page.goto('https://console.test/');
        await page.evaluate(code);
        const inBrowser = (await page.evaluate(
          `auditInBrowser.run(${JSON.stringify(events)}, ${JSON.stringify(checkpoint)}, ${JSON.stringify(gatewayKey.toPublic().armor())})`,
        )) as { leaves: string[]; root: string; signature: string; tamperedSignature: string; hasBuffer: string };
        expect(inBrowser.leaves).to.deep.equal(leaves);
        expect(inBrowser.root).to.equal(root);
        expect(inBrowser.signature).to.equal('valid');
        expect(inBrowser.tamperedSignature).to.equal('refused: audit_invalid');
      } finally {
        await page.context().close();
      }
    });
  });
});
