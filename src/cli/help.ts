import { SETTINGS_DOC } from '../config/settings.js';

const settingsTable = SETTINGS_DOC.map((s) => `  ${s.variable.padEnd(38)} ${s.default.padEnd(36)} ${s.meaning}`).join('\n');

export const HELP = `passerelle: secure exchange between OFII and the public employment service of Paris

Commands:
  serve                                   run the gateway (HTTPS API + delivery to RabbitMQ)
  demo                                    run the main job end to end on the embedded defaults
  pki init [--dir DIR] [--overwrite]      generate an example trust directory (default certs.example)
  pki rotate-gateway-key --dir DIR        add a new gateway OpenPGP key beside the current ones: it
          [--validity-days N]             signs from the next reload (SIGHUP or file watch); previous
                                          keys still decrypt and verify earlier receipts/checkpoints
  send --as PARTNER FILE.json             seal a document as PARTNER, post it, verify the receipt
  status --as PARTNER MESSAGE_ID          show where a message is (accepted, queued, acknowledged)
  consume --as PARTNER [--out DIR]        read PARTNER's queue, verify each sender's signature,
          [--follow] [--idle-exit S]      write each document (to DIR or stdout), then acknowledge
  audit export [--as auditor] --out FILE  save the latest checkpoint and every entry it covers
  audit verify --export FILE              check an export offline: the checkpoint's signature
          [--gateway-key FILE]            (gateway/openpgp.asc of the trust directory by default),
                                          then every entry; names the first bad index
  audit verify --live [--state FILE]      the same against the gateway, plus a consistency proof
                                          from the checkpoint verified last time
  audit checkpoint                        ask the gateway for a checkpoint of the log as it is now
  audit prove --index N [--as PARTNER]    check one entry's inclusion proof against the checkpoint
  erase --beneficiary-ref REF             on the gateway host: erase one person (crypto-shredding of the
        --reason CODE                     dossier, withdrawal notices to the agencies); prints counts only
  retention run                           on the gateway host: run the retention sweep now (expiry of
                                          unanswered orientations, destruction of dossiers)
  secrets status                          on the gateway host: what depends on each secret (data keys per
                                          key-encryption key, rows per pseudonym secret); deletes retired
                                          secrets nothing needs any more
  secrets rotate-kek                      on the gateway host, gateway running: a new dossier
                                          key-encryption key; every data key is wrapped again
  secrets rotate-pseudonym-secret         on the gateway host, gateway running: a new pseudonym secret;
                                          a person's rows move to it when the gateway next sees them
  stats --as PARTNER [--format F]         the steering committee's statistics (statistics or auditor
                                          role), as grids (text), csv or json
  broker setup [--passwords DIR]          on the broker host (rabbitmqctl, as root): create or update the
        [--definitions-out FILE]          gateway's and each receiving partner's RabbitMQ account with
        [--client-certificates]           least privilege and connection limits, delete the accounts of
        [--dry-run]                       removed partners; passwords read from (or generated into)
        [--vhost V] [--rabbitmqctl PATH]  DIR/<user>.password, or none for agencies that log in with a
                                          client certificate (EXTERNAL); --dry-run says what it would
                                          do; optionally write the definitions file
  help                                    this text

Settings (environment variables):
${settingsTable}
`;
