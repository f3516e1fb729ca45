/**
 * Event intake: every delivery the warden receives (Event Grid, CloudEvents 1.0, Activity Log alerts, queue
 * messages) normalised into one kind of change notice per flexible server.
 */
export type { EventSource, IgnoredEvent, ParsedEvent, ResourceEvent } from './events/types.js';
export { EventFormatError, MAX_DELIVERY_BYTES, MAX_EVENTS_PER_DELIVERY } from './events/types.js';
export { parseDelivery, parseDeliveryText, parseQueueMessage } from './events/delivery.js';
export { parseActivityLogAlert } from './events/activityLogAlert.js';
export { actorFromCaller, actorFromClaims } from './events/claims.js';
