// First: telemetry hooks the pg driver before any other import loads it.
import '@switchboard/telemetry';
import { runStandardService } from '@switchboard/service-runtime';
import { subscriptionServiceDefinition } from './subscription-service-definition';

runStandardService(subscriptionServiceDefinition);
