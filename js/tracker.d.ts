// The types of snowtrack's tracker (js/facade.js), appended by js/build.mjs to the declarations
// wasm-bindgen makes of the option and event types (src/bindings/mod.rs). Written by hand: the
// module itself exports only `create` and `call`, which the facade wraps.

/** A snowtrack tracker, made by `newTracker`; its methods are named as in @snowplow/browser-tracker. */
export interface Tracker {
    /**
     * Sets the business user id (`uid`); `null` or `undefined` clears it.
     */
    setUserId(userId?: string | null): void;
    /**
     * Adds global contexts: a list, or an object of named ones (a name added again replaces).
     * Full build only: in the core build it throws an `Error` naming it.
     */
    addGlobalContexts(contexts: GlobalContext[] | Record<string, GlobalContext>): void;
    /**
     * Adds a plugin (`{plugin}`), whose hooks run for every later event.
     * Full build only: in the core build it throws an `Error` naming it.
     */
    addPlugin(configuration: { plugin: BrowserPlugin }): void;
    /**
     * Removes every global context.
     * Full build only: in the core build it throws an `Error` naming it.
     */
    clearGlobalContexts(): void;
    /**
     * Removes the stored identity and session and starts fresh ids (keeping the session or
     * the user when asked).
     * Full build only: in the core build it throws an `Error` naming it.
     */
    clearUserData(configuration?: ClearUserDataConfiguration): void;
    /**
     * Decorates the links `linker` selects (a function of the link answering true) with `_sp`
     * when they are clicked, replacing the linker of `newTracker`'s `crossDomainLinker`.
     * Full build only: in the core build it throws an `Error` naming it.
     */
    crossDomainLinker(linker: (link: HTMLAnchorElement | HTMLAreaElement) => boolean): void;
    /**
     * Stops the activity callback.
     * Full build only: in the core build it throws an `Error` naming it.
     */
    disableActivityTrackingCallback(): void;
    /**
     * Stops page pings.
     * Full build only: in the core build it throws an `Error` naming it.
     */
    disableActivityTracking(): void;
    /**
     * Stops tracking anonymously from the next event: the stored domain user id, or a new one,
     * written at once.
     * Full build only: in the core build it throws an `Error` naming it.
     */
    disableAnonymousTracking(configuration?: DisableAnonymousTrackingConfiguration): void;
    /**
     * Stops link click tracking.
     * Full build only: in the core build it throws an `Error` naming it.
     */
    disableLinkClickTracking(): void;
    /**
     * Drops the braces (`{`, `}`) from `url` and `refr` of later events (`false`: keeps them).
     * Full build only: in the core build it throws an `Error` naming it.
     */
    discardBrace(enable: boolean): void;
    /**
     * Drops the fragment (`#…`) from `url` and `refr` of later events (`false`: keeps it).
     * Full build only: in the core build it throws an `Error` naming it.
     */
    discardHashTag(enable: boolean): void;
    /**
     * As `enableActivityTracking`, calling `callback` instead of sending pings.
     * Full build only: in the core build it throws an `Error` naming it.
     */
    enableActivityTrackingCallback(configuration: ActivityTrackingConfigurationCallback): void;
    /**
     * Page pings from the next page view on: after `minimumVisitLength` s, then every `heartbeatDelay` s, when there was activity.
     * Full build only: in the core build it throws an `Error` naming it.
     */
    enableActivityTracking(configuration: ActivityTrackingConfiguration): void;
    /**
     * Tracks anonymously from the next event: no domain user id, user id or `_sp_id`; the
     * stored identity stays until `clearUserData`.
     * Full build only: in the core build it throws an `Error` naming it.
     */
    enableAnonymousTracking(configuration?: EnableAnonymousTrackingConfiguration): void;
    /**
     * Adds the `gdpr` entity (the basis for processing) to every later event.
     * Full build only: in the core build it throws an `Error` naming it.
     */
    enableGdprContext(gdpr: GdprContext): void;
    /**
     * Tracks clicks on links (`a`, `area`), also those added later, as `link_click` events.
     * Full build only: in the core build it throws an `Error` naming it.
     */
    enableLinkClickTracking(configuration?: LinkClickTrackingConfiguration): void;
    /**
     * Sends every queued event now; then `newBufferSize`, when given, is the buffer size.
     * Full build only: in the core build it throws an `Error` naming it.
     */
    flushBuffer(configuration?: { newBufferSize?: number }): void;
    /**
     * Sends every queued event now, skipping any retry backoff; resolves to true when the
     * queue is empty (false when the collector could not be reached: events stay queued).
     */
    flush(): Promise<boolean>;
    /**
     * The full name of the `id` or `ses` cookie, e.g. `_sp_id.1fff`.
     */
    getCookieName(base: string): string;
    /**
     * Delivery counters: `{queued, inFlight, sent, failed, retried, dropped, filtered}`.
     */
    getDeliveryStats(): DeliveryStats;
    /**
     * The current session id (`sid`).
     */
    getDomainSessionId(): string;
    /**
     * The current session index (`vid`).
     */
    getDomainSessionIndex(): number;
    /**
     * The domain user id (`duid`).
     */
    getDomainUserId(): string;
    /**
     * `_sp_id` as the JS tracker reads it (`DomainUserInfo`).
     */
    getDomainUserInfo(): DomainUserInfo;
    /**
     * The page view id (of the `web_page` entity).
     */
    getPageViewId(): string;
    /**
     * The current `client_session` entity data.
     */
    getSessionContext(): ClientSession;
    /**
     * The tab's id (sessionStorage `_sp_tab_id`, as the JS tracker's); `null` without storage.
     */
    getTabId(): string | null;
    /**
     * The business user id (`null` when none).
     */
    getUserId(): string | null;
    /**
     * Starts a new session now, written to storage at once.
     */
    newSession(): void;
    /**
     * Keeps the page view id for later page views.
     */
    preservePageViewId(): void;
    /**
     * Does nothing: later links are tracked anyway (a no-op in the JS tracker too).
     * Full build only: in the core build it throws an `Error` naming it.
     */
    refreshLinkClickTracking(): void;
    /**
     * Removes global contexts: names (strings) remove named ones, contexts the unnamed ones
     * equal to them.
     * Full build only: in the core build it throws an `Error` naming it.
     */
    removeGlobalContexts(contexts: Array<string | GlobalContext>): void;
    /**
     * Sends once `bufferSize` events are queued (at least 1).
     * Full build only: in the core build it throws an `Error` naming it.
     */
    setBufferSize(newBufferSize: number): void;
    /**
     * Sends every later request to `collectorUrl` (the events queued already included).
     * Full build only: in the core build it throws an `Error` naming it.
     */
    setCollectorUrl(collectorUrl: string): void;
    /**
     * The path of the tracker's cookies (and of their names' hash); the identity moves there.
     * Full build only: in the core build it throws an `Error` naming it.
     */
    setCookiePath(path: string): void;
    /**
     * The `url` of later events (resolved against the page's).
     */
    setCustomUrl(url: string): void;
    /**
     * The title of later page views tracked without one.
     */
    setDocumentTitle(title: string): void;
    /**
     * No events while the cookie `name` exists (`null` stops looking); the queue of a page
     * that opts out is dropped and reported.
     * Full build only: in the core build it throws an `Error` naming it.
     */
    setOptOutCookie(name?: string | null): void;
    /**
     * The `refr` of later events.
     */
    setReferrerUrl(url: string): void;
    /**
     * Sets the business user id from the cookie `name` (cleared when absent).
     * Full build only: in the core build it throws an `Error` naming it.
     */
    setUserIdFromCookie(name: string): void;
    /**
     * Sets the business user id from the page URL's query parameter `field` (cleared when absent).
     * Full build only: in the core build it throws an `Error` naming it.
     */
    setUserIdFromLocation(field: string): void;
    /**
     * Sets the business user id from the referrer's query parameter `field` (cleared when absent).
     * Full build only: in the core build it throws an `Error` naming it.
     */
    setUserIdFromReferrer(field: string): void;
    /**
     * The lifetime in seconds of the `_sp_id` cookie, from its next write.
     * Full build only: in the core build it throws an `Error` naming it.
     */
    setVisitorCookieTimeout(timeout: number): void;
    /**
     * Tracks a link click, sent with `keepalive` so that it outlives a navigation.
     * Full build only: in the core build it throws an `Error` naming it.
     */
    trackLinkClick(event: LinkClickEvent): void;
    /**
     * A list item seen: folded into the current screen's summary while screen engagement is
     * on (no event), else tracked as a `list_item_view` event.
     */
    trackListItemView(event: ListItemViewEvent): void;
    /**
     * Tracks a page view (`title` defaults to `document.title`).
     */
    trackPageView(event?: PageViewEvent | null): void;
    /**
     * Tracks a screen view (mobile data model) and makes it the current screen.
     */
    trackScreenView(event: ScreenViewEvent): void;
    /**
     * A scroll position: folded into the current screen's summary while screen engagement is
     * on (no event), else tracked as a `scroll_changed` event.
     */
    trackScrollChanged(event: ScrollChangedEvent): void;
    /**
     * Tracks a self-describing event.
     */
    trackSelfDescribingEvent(event: SelfDescribingEvent): void;
    /**
     * Tracks a structured event.
     */
    trackStructEvent(event: StructuredEvent): void;
    /**
     * Activity now (e.g. a video playing).
     * Full build only: in the core build it throws an `Error` naming it.
     */
    updatePageActivity(): void;
}

/**
 * Creates a tracker sending to `collectorUrl` (`https://` is assumed on https pages when the
 * scheme is missing). Throws an `Error` naming the field when an option is invalid.
 */
export function newTracker(namespace: string, collectorUrl: string, config?: TrackerConfiguration | null): Tracker;
