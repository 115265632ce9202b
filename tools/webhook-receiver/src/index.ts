// For tests and the end-to-end suite: the receiver in-process, and its verifier.
export { verifyWebhook, type WebhookToVerify, type WebhookVerdict } from './verify-webhook';
export {
  startWebhookReceiver,
  type ReceivedRequest,
  type WebhookReceiver,
  type WebhookReceiverOptions,
} from './start-webhook-receiver';
