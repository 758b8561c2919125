/**
 * The pure part of the broker accounts (src/broker/permissions.ts): the regular expressions RabbitMQ
 * will match names against. JavaScript's RegExp reads these expressions as PCRE does (anchors,
 * escapes, alternation), so matching here is what the broker will match.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { deadLetterWatchQueueName } from '../../src/broker/dead-letter-watcher.js';
import {
  AGENCY_LIMITS,
  agencyPermission,
  brokerAccounts,
  brokerDefinitions,
  escapeRegex,
  exactly,
  GATEWAY_LIMITS,
  gatewayPermission,
  gatewayUser,
  isAccountOfPrefix,
  NOTHING,
  partnerUser,
} from '../../src/broker/permissions.js';
import { deadLetterExchangeName, deadLetterQueueName, exchangeName, queueName } from '../../src/broker/topology.js';
import { definitionsText, recipientsOf } from '../../src/cli/broker.js';
import { isGatewayError } from '../../src/domain/errors.js';
import { EXAMPLE_CERTS, PROJECT_ROOT } from '../fixtures/gateway.js';

const matches = (expression: string, name: string): boolean => new RegExp(expression).test(name);

describe('broker permissions', () => {
  const prefix = 'passerelle';

  it('an agency reads its own queue only, configures nothing and writes nothing', () => {
    const p = agencyPermission(prefix, 'ofii-paris');
    expect(matches(p.read, 'passerelle.ofii-paris')).to.equal(true);
    for (const name of ['passerelle.ofii-paris.dead', 'passerelle.ofii-parisx', 'xpasserelle.ofii-paris', 'passerelle.france-travail-paris', 'passerelle.gateway.dead-lettered', 'passerelle.deliveries']) {
      expect(matches(p.read, name), name).to.equal(false);
    }
    expect(p.configure).to.equal(NOTHING);
    expect(p.write).to.equal(NOTHING);
    // RabbitMQ checks the default exchange under the name amq.default.
    for (const name of ['amq.default', 'passerelle.deliveries', 'passerelle.ofii-paris']) {
      expect(matches(p.write, name), name).to.equal(false);
      expect(matches(p.configure, name), name).to.equal(false);
    }
  });

  it('a partner id that is a prefix of another does not open the other\'s queue (ft, ft-paris)', () => {
    const ft = agencyPermission(prefix, 'ft');
    const ftParis = agencyPermission(prefix, 'ft-paris');
    expect(matches(ft.read, queueName(prefix, 'ft'))).to.equal(true);
    expect(matches(ft.read, queueName(prefix, 'ft-paris'))).to.equal(false);
    expect(matches(ftParis.read, queueName(prefix, 'ft'))).to.equal(false);
    expect(matches(ftParis.read, queueName(prefix, 'ft-paris'))).to.equal(true);
  });

  it('a dot in the prefix is a dot, not any character', () => {
    const p = agencyPermission('pass.erelle', 'ofii-paris');
    expect(matches(p.read, 'pass.erelle.ofii-paris')).to.equal(true);
    expect(matches(p.read, 'passXerelle.ofii-paris')).to.equal(false);
    expect(matches(p.read, 'pass.erelleXofii-paris')).to.equal(false);
  });

  it('exactly() matches each listed name and nothing else, whatever the characters (property)', () => {
    const name = fc.string({ minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(fc.uniqueArray(name, { minLength: 1, maxLength: 5 }), name, (names, other) => {
        const expression = exactly(names);
        for (const n of names) if (!matches(expression, n)) return false;
        return matches(expression, other) === names.includes(other);
      }),
      { numRuns: 300 },
    );
    expect(escapeRegex('a.b*c')).to.equal('a\\.b\\*c');
  });

  it('the gateway configures and writes exactly the topology, reads no dead-letter queue of the operators', () => {
    const recipients = ['ofii-paris', 'ft', 'ft-paris'];
    const p = gatewayPermission(prefix, recipients);
    const queues = recipients.flatMap((id) => [queueName(prefix, id), deadLetterQueueName(prefix, id)]);
    const topology = [exchangeName(prefix), deadLetterExchangeName(prefix), ...queues, deadLetterWatchQueueName(prefix)];
    for (const name of topology) expect(matches(p.configure, name), name).to.equal(true);
    for (const name of [...queues, exchangeName(prefix), deadLetterExchangeName(prefix), deadLetterWatchQueueName(prefix)]) expect(matches(p.write, name), name).to.equal(true);
    for (const name of recipients.map((id) => deadLetterQueueName(prefix, id))) expect(matches(p.read, name), name).to.equal(false);
    expect(matches(p.read, deadLetterWatchQueueName(prefix))).to.equal(true);
    for (const name of ['amq.default', 'amq.topic', 'passerelle.other', 'other.deliveries', 'passerelle.ft-parisx']) {
      for (const kind of ['configure', 'write', 'read'] as const) expect(matches(p[kind], name), `${kind} ${name}`).to.equal(false);
    }
  });

  it('one account for the gateway and one per receiving partner, named like the queue it reads', () => {
    const accounts = brokerAccounts(prefix, ['ofii-paris', 'ville-de-paris']);
    expect(accounts.map((a) => a.user)).to.deep.equal([gatewayUser(prefix), partnerUser(prefix, 'ofii-paris'), partnerUser(prefix, 'ville-de-paris')]);
    expect(partnerUser(prefix, 'ofii-paris')).to.equal(queueName(prefix, 'ofii-paris'));
  });

  it('refuses a partner called "gateway" (it would share the gateway account) and ids that cannot name a queue', () => {
    for (const id of ['gateway', 'Bad.Id', 'a']) {
      let error: unknown;
      try {
        brokerAccounts(prefix, [id]);
      } catch (err) {
        error = err;
      }
      expect(isGatewayError(error) && error.code === 'config_invalid', id).to.equal(true);
    }
  });

  it('the definitions carry no password: every password_hash is empty', () => {
    const definitions = brokerDefinitions({ prefix, vhost: '/', recipients: ['ofii-paris'] }) as { users: Array<{ password_hash: string }> };
    expect(definitions.users.map((u) => u.password_hash)).to.deep.equal(['', '']);
  });

  it('every account has connection and channel limits: the agencies the smaller ones, in the definitions too', () => {
    const accounts = brokerAccounts(prefix, ['ofii-paris']);
    expect(accounts.map((a) => a.limits)).to.deep.equal([GATEWAY_LIMITS, AGENCY_LIMITS]);
    expect(AGENCY_LIMITS['max-connections']).to.be.lessThan(GATEWAY_LIMITS['max-connections']);
    const definitions = brokerDefinitions({ prefix, vhost: '/', recipients: ['ofii-paris'] }) as { users: Array<{ name: string; limits: unknown }> };
    expect(definitions.users.map((u) => u.limits)).to.deep.equal([GATEWAY_LIMITS, AGENCY_LIMITS]);
  });

  it("accounts of this prefix are <prefix>.gateway and <prefix>.<partner id>, never those of a longer prefix or other users", () => {
    for (const user of ['passerelle.gateway', 'passerelle.ofii-paris', 'passerelle.ftda-paris']) expect(isAccountOfPrefix(prefix, user), user).to.equal(true);
    // passerelle.paris is another deployment's prefix on the same broker; guest and operators are no partners.
    for (const user of ['passerelle.paris.gateway', 'passerelle.paris.ofii-paris', 'passerelle.gateway.dead-lettered', 'passerelle', 'passerellex.ofii-paris', 'guest', 'passerelle.OFII', 'passerelle.']) {
      expect(isAccountOfPrefix(prefix, user), user).to.equal(false);
    }
  });

  it("one name for the gateway's broker account: <prefix>.gateway in the code, the definitions and every settings example of deploy/", () => {
    expect(gatewayUser(prefix)).to.equal('passerelle.gateway');
    const examples = ['deploy/systemd/passerelle.env.example', 'deploy/multi-node/passerelle.env.example'];
    for (const file of examples) {
      const text = fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
      const url = /^PASSERELLE_AMQP_URL=(.*)$/m.exec(text)?.[1];
      expect(url, file).to.not.equal(undefined);
      expect(decodeURIComponent(new URL(url!).username), file).to.equal(gatewayUser(prefix));
    }
    const definitions = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'deploy', 'rabbitmq', 'definitions.json'), 'utf8')) as { users: Array<{ name: string }> };
    expect(definitions.users[0]!.name).to.equal(gatewayUser(prefix));
  });

  it('deploy/rabbitmq/definitions.json is up to date with certs.example (regenerate with passerelle broker setup --definitions-out)', () => {
    const committed = fs.readFileSync(path.join(PROJECT_ROOT, 'deploy', 'rabbitmq', 'definitions.json'), 'utf8');
    expect(committed).to.equal(definitionsText({ prefix: 'passerelle', vhost: '/', recipients: recipientsOf(EXAMPLE_CERTS) }));
  });
});
