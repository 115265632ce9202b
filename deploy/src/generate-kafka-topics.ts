// `npm run generate:kafka-topics`: writes the production overlay's KafkaTopic
// objects from the topic registry.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { allTopics } from '@switchboard/contracts';
import { KAFKA_TOPICS_FILE, renderKafkaTopics } from './render-kafka-topics';

const root = resolve(process.env.INIT_CWD ?? process.cwd());
writeFileSync(join(root, KAFKA_TOPICS_FILE), renderKafkaTopics(allTopics));
console.log(`wrote ${KAFKA_TOPICS_FILE} (${allTopics.length * 2} topics)`);
