import { SETTINGS_DOC } from '../config/settings.js';

const settingsTable = SETTINGS_DOC.map((s) => `  ${s.variable.padEnd(32)} ${s.default.padEnd(36)} ${s.meaning}`).join('\n');

export const HELP = `passerelle: secure exchange between OFII and the public employment service of Paris

Commands:
  serve                                   run the gateway (HTTPS API + delivery to RabbitMQ)
  demo                                    run the main job end to end on the embedded defaults
  pki init [--dir DIR] [--overwrite]      generate an example trust directory (default certs.example)
  send --as PARTNER FILE.json             seal a document as PARTNER, post it, verify the receipt
  status --as PARTNER MESSAGE_ID          show where a message is (accepted, queued, acknowledged)
  consume --as PARTNER [--out DIR]        read PARTNER's queue, verify each sender's signature,
          [--follow] [--idle-exit S]      write each document (to DIR or stdout), then acknowledge
  help                                    this text

Settings (environment variables):
${settingsTable}
`;
