/**
 * A recipient's inbox on disk: one file per message id. Writing a file is what "handed to the
 * application" means for the CLI consumer, so the AMQP ack comes only after the file is durable
 * (written to a temporary name, fsynced, renamed), and a message id already present is a duplicate of
 * the at-least-once delivery: acknowledged, not written again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GatewayError } from '../domain/errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class Inbox {
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private file(messageId: string): string {
    // The id came over AMQP: it becomes a file name only if it is exactly a UUID.
    if (!UUID.test(messageId)) {
      throw new GatewayError('malformed_message', 'The message id is not a lower-case UUID, so it cannot name a file of the inbox; the message is refused. Tell the gateway operator.');
    }
    return path.join(this.dir, `${messageId}.json`);
  }

  has(messageId: string): boolean {
    return fs.existsSync(this.file(messageId));
  }

  /** Durably writes the document; returns false (and writes nothing) if it was already there. */
  put(messageId: string, document: Uint8Array): boolean {
    const target = this.file(messageId);
    if (fs.existsSync(target)) return false;
    const temporary = `${target}.${process.pid}.tmp`;
    const fd = fs.openSync(temporary, 'w', 0o600);
    try {
      fs.writeSync(fd, document);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, target);
    const dirFd = fs.openSync(this.dir, 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
    return true;
  }
}
