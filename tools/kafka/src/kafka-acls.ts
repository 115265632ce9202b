// The secured local broker's helper (tools/kafka/local-kafka.mjs --secure),
// also usable against any broker by an operator holding super-user credentials:
//
//   kafka-acls principals   the service principals the ACL plan grants to, as a JSON array
//   kafka-acls plan         the ACL plan derived from the topic registry, one rule a line
//   kafka-acls apply        create the registry's topics, then make the brokers' ACLs
//                           for those principals equal the plan
//
// It reads KAFKA_BROKERS and the KAFKA_SSL_* / KAFKA_SASL_* variables like a service.
import { env, kafkaSecurityConfig, loadConfig } from '@switchboard/config';
import {
  aclKey,
  applyServiceAcls,
  createEventBus,
  serviceAcls,
  servicePrincipals,
} from '@switchboard/event-bus';
import { createLogger } from '@switchboard/logger';

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'principals':
      process.stdout.write(
        JSON.stringify(servicePrincipals().map((p) => p.replace(/^User:/, ''))) + '\n',
      );
      return 0;
    case 'plan':
      for (const acl of serviceAcls()) process.stdout.write(aclKey(acl) + '\n');
      return 0;
    case 'apply': {
      const config = loadConfig('kafka-acls', {
        brokers: env.list('KAFKA_BROKERS', { default: ['127.0.0.1:9092'] }),
        security: kafkaSecurityConfig(),
      });
      const logger = createLogger({
        service: 'kafka-acls',
        level: process.env.LOG_LEVEL ?? 'warn',
        destination: process.stderr,
      });
      // Under ACLs the services may not create topics, so the admin does it here.
      const bus = createEventBus({
        brokers: config.brokers,
        clientId: 'switchboard-acls',
        source: '/switchboard/kafka-acls',
        security: config.security,
        logger,
      });
      try {
        const topics = await bus.ensureTopics();
        const applied = await applyServiceAcls({
          brokers: config.brokers,
          security: config.security,
          logger,
        });
        process.stdout.write(
          `topics: ${topics.created.length} created, ${topics.existing.length} existing; ` +
            `acls: ${applied.created.length} created, ${applied.removed.length} removed, ` +
            `${applied.unchanged} unchanged\n`,
        );
      } finally {
        await bus.close();
      }
      return 0;
    }
    default:
      process.stderr.write('usage: kafka-acls <principals|plan|apply>\n');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`kafka-acls: ${(err as Error).message ?? String(err)}\n`);
    process.exit(1);
  },
);
