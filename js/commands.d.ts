// snowtrack/commands: the sp.js commands that are not tracker methods, as functions of a tracker.
import type { CommonEventProperties, SelfDescribingEvent, Tracker } from './web/snowtrack.js';

/** `trackTiming` input (JS tracker v3): the `timing` 1-0-0 event's fields. */
export interface TimingEvent extends CommonEventProperties {
  category: string; variable: string; timing: number; label?: string;
}
/** The consent document of a consent event (the `consent_document` entity). */
export interface ConsentDocument extends CommonEventProperties {
  id: string; version: string; name?: string; description?: string;
}
/** `trackConsentGranted` input: the document, and when the consent expires. */
export interface ConsentGrantedEvent extends ConsentDocument { expiry?: string; }
/** `trackConsentWithdrawn` input: the document, and whether all consent is withdrawn. */
export interface ConsentWithdrawnEvent extends ConsentDocument { all?: boolean; }

/** The warning the tag gives for a command `tracker` does not have (naming its sp.js plugin, if any). */
export function refusal(command: string): string;
/** Tracks a `timing` 1-0-0 self-describing event. Throws a `TypeError` naming a bad field. */
export function trackTiming(tracker: Tracker, event: TimingEvent): void;
/** Tracks a `consent_granted` 1-0-0 event with its `consent_document` entity first. */
export function trackConsentGranted(tracker: Tracker, event: ConsentGrantedEvent): void;
/** Tracks a `consent_withdrawn` 1-0-0 event with its `consent_document` entity first. */
export function trackConsentWithdrawn(tracker: Tracker, event: ConsentWithdrawnEvent): void;
/**
 * `tracker.trackSelfDescribingEvent(event)`, except that the mobile model's `screen_view`,
 * `list_item_view` and `scroll_changed` events are tracked as `trackScreenView`,
 * `trackListItemView` and `trackScrollChanged` track them.
 */
export function trackSelfDescribingEvent(tracker: Tracker, event: SelfDescribingEvent): void;
