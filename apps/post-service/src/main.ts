// First: telemetry hooks the pg driver before any other import loads it.
import '@switchboard/telemetry';
import { runStandardService } from '@switchboard/service-runtime';
import { postServiceDefinition } from './post-service-definition';

runStandardService(postServiceDefinition);
