// The sp.js command mapping: the tag's loader imports it on first use (published as
// chunks/commands.js), when a page sends one of these commands (see `mapped` in loader.js), so
// pages that do not use them do not download it; npm users import the same functions from
// `snowtrack/commands` (a bundler leaves it out of apps that do not):
//
//   import { trackTiming } from 'snowtrack/commands';
//   trackTiming(tracker, { category: 'load', variable: 'map', timing: 120 });

const IGLU = 'iglu:com.snowplowanalytics.';
const MOBILE = `${IGLU}mobile/`;

/** `value`, which must be a non-empty string (`field` names it in the error). */
function text(value, field) {
  if (typeof value !== 'string' || value === '') throw new TypeError(`\`${field}\` must be a non-empty string`);
  return value;
}

/** `data` without its null and undefined members. */
function defined(data) {
  return Object.fromEntries(Object.entries(data).filter(([, v]) => v != null));
}

/** A JS tracker v3 consent event: `schema` with `data`, and the `consent_document` first. */
function consent(tracker, schema, data, { id, version, name, description, context, timestamp }) {
  const document = { schema: `${IGLU}snowplow/consent_document/jsonschema/1-0-0`, data: defined({ id: text(id, 'id'), version: text(version, 'version'), name, description }) };
  return tracker.trackSelfDescribingEvent({ event: { schema: `${IGLU}snowplow/${schema}/jsonschema/1-0-0`, data }, context: [document, ...(context || [])], timestamp });
}

/**
 * sp.js commands that are not tracker methods, as the tracker's own calls (each takes the tracker,
 * then the command's arguments): JS tracker v3's
 * `trackTiming` and consent events (Flutter's web plugin sends them), and the mobile model's
 * events sent as self-describing events (how Flutter sends screen views, list items and
 * scrolls on the web), which are what `trackScreenView`, `trackListItemView` and
 * `trackScrollChanged` track.
 */
export const COMMANDS = {
  trackTiming(tracker, { category, variable, timing, label, context, timestamp } = {}) {
    if (typeof timing !== 'number' || !Number.isFinite(timing)) throw new TypeError('`timing` must be a finite number');
    const data = defined({ category: text(category, 'category'), variable: text(variable, 'variable'), timing, label });
    return tracker.trackSelfDescribingEvent({ event: { schema: `${IGLU}snowplow/timing/jsonschema/1-0-0`, data }, context, timestamp });
  },
  trackConsentGranted(tracker, e = {}) {
    return consent(tracker, 'consent_granted', defined({ expiry: e.expiry }), e);
  },
  trackConsentWithdrawn(tracker, e = {}) {
    return consent(tracker, 'consent_withdrawn', { all: e.all === true }, e);
  },
  trackSelfDescribingEvent(tracker, e) {
    const { schema, data } = (e && e.event) || {};
    const own = { context: e && e.context, timestamp: e && e.timestamp };
    const d = data || {};
    if (schema === `${MOBILE}screen_view/jsonschema/1-0-0`) return tracker.trackScreenView({ ...d, ...own });
    if (schema === `${MOBILE}list_item_view/jsonschema/1-0-0`) {
      return tracker.trackListItemView({ index: d.index, itemsCount: d.items_count, ...own });
    }
    if (schema === `${MOBILE}scroll_changed/jsonschema/1-0-0`) {
      return tracker.trackScrollChanged({
        xOffset: d.x_offset, yOffset: d.y_offset, viewWidth: d.view_width, viewHeight: d.view_height,
        contentWidth: d.content_width, contentHeight: d.content_height, ...own,
      });
    }
    return tracker.trackSelfDescribingEvent(e);
  },
};

/**
 * The commands of the plugins sp.js bundles that snowtrack has no equivalent of, by plugin (the
 * loader says so once per command and page, through `refusal`).
 */
const PLUGIN_COMMANDS = {
  'ad-tracking': 'trackAdImpression trackAdClick trackAdConversion',
  'button-click-tracking': 'enableButtonClickTracking disableButtonClickTracking trackButtonClick',
  'enhanced-consent': 'trackCmpVisible trackConsentAllow trackConsentSelected trackConsentPending trackConsentImplicit trackConsentDeny trackConsentExpired',
  'error-tracking': 'enableErrorTracking trackError',
  'form-tracking': 'enableFormTracking disableFormTracking',
  'site-tracking': 'trackSiteSearch trackSocialInteraction',
  'snowplow-ecommerce': 'setPageType setEcommerceUser trackCheckoutStep trackProductListView trackProductListClick trackPromotionView trackPromotionClick trackProductView trackAddToCart trackRemoveFromCart trackTransaction trackRefund trackTransactionError '
    + 'trackEnhancedEcommercePromoView trackEnhancedEcommercePromoClick trackEnhancedEcommerceAddToCart trackEnhancedEcommerceRemoveFromCart trackEnhancedEcommerceProductDetail trackEnhancedEcommerceProductListView trackEnhancedEcommerceProductListClick trackEnhancedEcommerceCheckoutStep trackEnhancedEcommercePurchase '
    + 'trackGA4ViewCart trackGA4ViewPromotion trackGA4SelectPromotion trackGA4AddToCart trackGA4RemoveFromCart trackGA4ViewItem trackGA4ViewItemList trackGA4SelectItem trackGA4BeginCheckout trackGA4AddShippingInfo trackGA4AddPaymentOptions trackGA4Transaction',
};

/** The warning for a command the tracker does not have: the sp.js plugin it belongs to, if any. */
export function refusal(command) {
  const plugin = Object.keys(PLUGIN_COMMANDS).find((name) => PLUGIN_COMMANDS[name].split(' ').includes(command));
  return plugin
    ? `'${command}' is a command of sp.js's ${plugin} plugin, which snowtrack does not have: ignored`
    : `unknown command '${command}': ignored`;
}

/** JS tracker v3's `trackTiming` on `tracker`: a `timing` 1-0-0 self-describing event. */
export const trackTiming = COMMANDS.trackTiming;
/** JS tracker v3's `trackConsentGranted` on `tracker` (with its `consent_document` entity). */
export const trackConsentGranted = COMMANDS.trackConsentGranted;
/** JS tracker v3's `trackConsentWithdrawn` on `tracker` (with its `consent_document` entity). */
export const trackConsentWithdrawn = COMMANDS.trackConsentWithdrawn;
/**
 * `tracker.trackSelfDescribingEvent(e)`, except that the mobile model's events sent as
 * self-describing events (`screen_view`, `list_item_view`, `scroll_changed` of
 * `com.snowplowanalytics.mobile`) are what `trackScreenView`, `trackListItemView` and
 * `trackScrollChanged` track (Flutter's web plugin sends them so).
 */
export const trackSelfDescribingEvent = COMMANDS.trackSelfDescribingEvent;
