//! The tracker: turns `track*` calls into events in wire form, applying the session rules and
//! keeping identity state in storage through an [`Env`]. Synchronous and single-threaded; what
//! happens to an event once it is built is [`crate::engine::delivery`]'s business.

use crate::engine::util::text::{concat, int, math_round};
#[allow(unused_imports)]
use crate::prelude::*;

use crate::engine::config::{AnonymousTracking, Config, Method, StateStorage};
use crate::engine::contexts::{EventKind, GlobalContexts, PageHooks};
use crate::engine::cookie::{self, CookieAttributes};
use crate::engine::engagement::{
    LIST_ITEM_VIEW_SCHEMA, Lifecycle, SCREEN_END_SCHEMA, SCROLL_CHANGED_SCHEMA, ScreenSummary,
};
use crate::engine::env::Env;
use crate::engine::event::{Event, Extents, Gdpr, ScreenView, Timestamp, TrackOptions};
use crate::engine::facts::{BrowserInfo, PageFacts};
use crate::engine::id_cookie::{IdCookie, StorageMechanism};
use crate::engine::page_state::PageState;
use crate::engine::payload::Payload;
use crate::engine::session::{Session, StoredState};
use crate::engine::state_store::StateStore;
use crate::engine::util::json::{self, ObjectWriter};
use crate::error::Result;

/// The `tv` value: `snowtrack-<version>`.
pub const TRACKER_VERSION: &str = concat!("snowtrack-", env!("CARGO_PKG_VERSION"));
/// Schema of the screen view event.
pub const SCREEN_VIEW_SCHEMA: &str = "iglu:com.snowplowanalytics.mobile/screen_view/jsonschema/1-0-0";
/// Schema of the screen entity.
pub const SCREEN_SCHEMA: &str = "iglu:com.snowplowanalytics.mobile/screen/jsonschema/1-0-0";
/// Schema of the web page entity.
pub const WEB_PAGE_SCHEMA: &str = "iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0";
/// Schema of the session entity.
pub const CLIENT_SESSION_SCHEMA: &str = "iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2";

/// The screen the user is on, as the screen entity and the next screen view's "previous" describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Screen {
    id: String,
    name: String,
    screen_type: Option<String>,
}

/// An event a `track*` call (or a lifecycle change) produced, for delivery: a call may produce
/// several (a screen view is preceded by the `screen_end` of the screen before), or none (a list
/// item folded into the screen summary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked {
    /// The event's id (`eid`).
    pub event_id: String,
    /// The event in wire form: POST JSON without its closing brace, or a GET query (see
    /// [`Payload::to_post_json`] and [`Payload::to_query`]).
    pub wire: String,
    /// The `client_session` data when this event began a session (for `onSessionUpdate`).
    pub session_update: Option<String>,
    /// Tracked with server anonymisation: to be sent with the `SP-Anonymous` header.
    pub anonymous: bool,
}

/// An event's own part of the payload, decided before the payload is built.
enum Body {
    PageView(String),
    PagePing(String, Extents),
    Unstruct(String),
    Struct(crate::engine::event::StructEvent),
}

impl Body {
    /// The event's type and schema (empty but for self-describing events), for global
    /// contexts' rules and page functions.
    fn kind(&self) -> (&'static str, String) {
        match self {
            Body::PageView(_) => ("pv", String::new()),
            Body::PagePing(..) => ("pp", String::new()),
            Body::Struct(_) => ("se", String::new()),
            Body::Unstruct(json) => {
                let schema = json.strip_prefix("{\"schema\":\"").and_then(|rest| rest.split('"').next());
                ("ue", schema.unwrap_or("").to_owned())
            }
        }
    }
}

/// The event as plugins see it: the JSON object of its fields (entities as `co` JSON text).
fn plugin_view(payload: &Payload<'_>) -> String {
    let mut view = payload.to_post_json(false);
    view.push('}');
    view
}

/// Where a call's events go, and the page's code that takes part in building them.
pub struct Sink<'a> {
    /// The events, in order, for delivery.
    pub events: &'a mut Vec<Tracked>,
    /// Global contexts' generators and filters, plugins.
    pub hooks: &'a mut dyn PageHooks,
}

/// The fields every event carries, borrowed from the tracker.
struct Common<'a> {
    config: &'a Config,
    browser: &'a BrowserInfo,
    state: &'a IdCookie,
    user_id: Option<&'a str>,
    /// Send the session (`vid`, `sid`): not while anonymous without session tracking.
    session: bool,
    web: &'a PageState,
}

impl<'a> Common<'a> {
    /// Adds them in the JS tracker's order.
    fn add_to(
        &self,
        payload: &mut Payload<'a>,
        event_id: &'a str,
        ts_key: &'static str,
        ts: i64,
        page: &'a PageFacts,
    ) {
        let b = self.browser;
        payload.add("eid", event_id);
        payload.add("tv", TRACKER_VERSION);
        payload.add("tna", self.config.namespace.as_str());
        payload.add("aid", self.config.app_id.as_str());
        payload.add("p", self.config.platform.as_str());
        payload.add("cookie", if b.cookie_enabled { "1" } else { "0" });
        payload.add("cs", b.charset.as_str());
        payload.add("lang", b.language.as_str());
        payload.add("res", b.resolution.as_str());
        payload.add("cd", b.color_depth.as_str());
        payload.add("tz", b.timezone.as_str());
        payload.add(ts_key, int(ts));
        payload.add("vp", page.viewport.as_str());
        payload.add("ds", page.document_size.as_str());
        if self.session {
            payload.add("vid", int(self.state.visit_count));
            payload.add("sid", self.state.session_id.as_str());
        }
        payload.add("duid", self.state.domain_user_id.as_str()); // empty (left out) while anonymous
        payload.add_opt("uid", self.user_id);
        payload.add("refr", self.web.referrer());
        payload.add("url", self.web.url());
    }
}

/// What storage holds for the current mode: the identity (`_sp_id`, `_sp_ses`); while
/// anonymous with session tracking the anonymous session (in `_sp_ses`); else nothing.
fn read_stored(store: &StateStore, anonymous: Option<AnonymousTracking>, env: &mut impl Env) -> StoredState {
    match anonymous {
        None => store.read(env),
        Some(a) if a.with_session_tracking => store.read_anonymous(env),
        Some(_) => StoredState { id_cookie: None, session_alive: false },
    }
}

/// Stores the state for the current mode (see [`read_stored`]).
fn write_stored(
    store: &StateStore,
    anonymous: Option<AnonymousTracking>,
    env: &mut impl Env,
    state: &IdCookie,
    lifetime_s: i64,
    timeout_s: i64,
) {
    match anonymous {
        None => store.write(env, state, lifetime_s, timeout_s),
        Some(a) if a.with_session_tracking => store.write_anonymous(env, state, timeout_s),
        Some(_) => {}
    }
}

/// One tracker (one namespace).
#[derive(Debug)]
pub struct Tracker {
    config: Config,
    browser: BrowserInfo,
    store: StateStore,
    /// The domain the cookie names' hash is made of (with the cookie path).
    hash_domain: String,
    session: Session,
    manual_session_update: bool,
    user_id: Option<String>,
    /// URL, referrer, title and page view id.
    web: PageState,
    screen: Option<Screen>,
    /// The page is hidden.
    hidden: bool,
    /// The lifecycle state, while `lifecycleAutotracking` is on.
    lifecycle: Option<Lifecycle>,
    /// The `gdpr` entity added to every event (`enableGdprContext`).
    gdpr: Option<String>,
    /// Anonymous tracking, when on (`anonymousTracking`, `enableAnonymousTracking`).
    anonymous: Option<AnonymousTracking>,
    /// Do Not Track is respected and on: nothing is tracked or stored.
    do_not_track: bool,
    /// An event was suppressed by the opt-out cookie since [`Tracker::take_opt_out`].
    opted_out: bool,
    /// Global contexts (`addGlobalContexts`).
    contexts: GlobalContexts,
    /// Events a plugin's `filter` dropped.
    filtered: u64,
    /// The current screen's engagement, while `screenEngagementAutotracking` is on and a screen
    /// was viewed.
    summary: Option<ScreenSummary>,
}

impl Tracker {
    /// Starts a tracker: validates `config`, names the cookies, reads or creates the identity
    /// state and writes it back. `root_domain` is the result of root-domain discovery, which
    /// the web layer performs (it needs real cookie writes); `hidden`, whether the page starts
    /// hidden (opened in a background tab).
    ///
    /// # Errors
    /// [`crate::Error::Config`] for an invalid option.
    pub fn new(
        mut config: Config,
        browser: BrowserInfo,
        root_domain: Option<String>,
        hidden: bool,
        env: &mut impl Env,
    ) -> Result<Self> {
        config.validate(&browser.protocol)?;
        let cookie_domain =
            config.cookie_domain.clone().or(root_domain.filter(|_| config.discover_root_domain));
        let hash_domain = cookie_domain.clone().unwrap_or_else(|| cookie::fixup_domain(&browser.hostname));
        let hash = cookie::domain_hash(&hash_domain, "/");
        let cookie_attributes = CookieAttributes {
            domain: cookie_domain,
            same_site: config.cookie_same_site,
            secure: config.secure_cookies(&browser.protocol),
            path: None,
        };
        let store = StateStore {
            strategy: config.state_storage,
            id_key: cookie::cookie_name(&config.cookie_name, "id", &hash),
            ses_key: cookie::cookie_name(&config.cookie_name, "ses", &hash),
            cookie_attributes,
        };
        let timeouts = (config.foreground_timeout_s, config.background_timeout_s);
        let now = env.now_ms();
        let gpc = (config.respect_global_privacy_control && browser.global_privacy_control)
            .then_some(AnonymousTracking { with_session_tracking: false, with_server_anonymisation: true });
        let anonymous = config.anonymous.or(gpc);
        let do_not_track = config.respect_do_not_track && browser.do_not_track;
        let stored = read_stored(&store, anonymous, env);
        let mut session = Session::start(stored, now, timeouts, || env.new_uuid()).0;
        if anonymous.is_some() {
            session.set_user(String::new());
        }
        session.set_hidden(hidden, now);
        if do_not_track {
            store.clear(env); // as the JS tracker: nothing of the user is kept
        } else {
            write_stored(
                &store,
                anonymous,
                env,
                session.state(),
                config.cookie_lifetime_s,
                session.timeout_s(),
            );
        }
        env.commit_cookies();
        Ok(Tracker {
            anonymous,
            do_not_track,
            opted_out: false,
            contexts: GlobalContexts::default(),
            filtered: 0,
            manual_session_update: false,
            user_id: None,
            web: PageState::new(config.preserve_page_view_id_for_url, config.preserve_original_referrer),
            screen: None,
            hidden,
            lifecycle: config.lifecycle_autotracking.then(|| Lifecycle::new(!hidden)),
            summary: None,
            gdpr: None,
            session,
            config,
            browser,
            store,
            hash_domain,
        })
    }

    /// Tracks one event (after validating it): applies the session rules, builds the payloads
    /// and updates storage; the events (none, one or more) are appended to `out` in wire form,
    /// for delivery.
    ///
    /// # Errors
    /// [`crate::Error::Event`] when the event is invalid; nothing is tracked then.
    pub fn track(
        &mut self,
        env: &mut impl Env,
        event: Event,
        options: TrackOptions,
        page: &PageFacts,
        to: &mut Sink<'_>,
    ) -> Result<()> {
        event.validate()?;
        let engagement = self.config.screen_engagement_autotracking;
        let body = match event {
            Event::PageView { title } => {
                self.web.refresh(page);
                Body::PageView(self.web.page_view(page, title, || env.new_uuid()))
            }
            Event::PagePing(extents) => {
                self.web.refresh(page);
                Body::PagePing(self.web.ping_title(page).to_owned(), extents)
            }
            Event::ScreenView(screen_view) => {
                let now = env.now_ms();
                self.end_screen(env, now, page, to);
                let body = Body::Unstruct(self.screen_view(env, screen_view));
                if engagement {
                    self.summary = Some(ScreenSummary::new(now, self.hidden));
                }
                body
            }
            Event::SelfDescribing(sdj) => Body::Unstruct(sdj.to_json()),
            Event::Struct(se) => Body::Struct(se),
            Event::ListItemView(item) if engagement => {
                if let Some(summary) = &mut self.summary {
                    summary.list_item(item);
                }
                return Ok(());
            }
            Event::ScrollChanged(scroll) if engagement => {
                if let Some(summary) = &mut self.summary {
                    summary.app_scroll(scroll);
                }
                return Ok(());
            }
            Event::ListItemView(item) => {
                Body::Unstruct(json::self_describing(LIST_ITEM_VIEW_SCHEMA, &item.to_json()))
            }
            Event::ScrollChanged(scroll) => {
                Body::Unstruct(json::self_describing(SCROLL_CHANGED_SCHEMA, &scroll.to_json()))
            }
        };
        self.emit(env, body, &options, None, page, to);
        Ok(())
    }

    /// Folds a position of the document's own scroll into the current screen's summary (unless
    /// the screen's app reports its scroll with `trackScrollChanged`).
    pub fn document_scroll(&mut self, scroll: crate::engine::engagement::ScrollChanged) {
        if let Some(summary) = &mut self.summary {
            summary.document_scroll(scroll);
        }
    }

    /// The page became hidden or visible: the screen summary counts the time up to now, and
    /// with lifecycle autotracking on, `application_background` or `application_foreground`
    /// is tracked (checked against the timeout of the state it leaves, as the mobile trackers
    /// do) before the session's timeout changes.
    pub fn visibility(&mut self, env: &mut impl Env, hidden: bool, page: &PageFacts, to: &mut Sink<'_>) {
        let now = env.now_ms();
        if let Some(summary) = &mut self.summary {
            summary.set_hidden(now, hidden);
        }
        let transition = self.lifecycle.as_mut().and_then(|l| l.set_visible(!hidden));
        if let Some(transition) = transition {
            let summary = self.summary.as_ref().map(ScreenSummary::entity);
            self.emit(env, Body::Unstruct(transition.event()), &TrackOptions::default(), summary, page, to);
        }
        self.hidden = hidden;
        self.set_hidden(env, hidden);
        if hidden {
            // The page may be going: the next page (or another tab) must read this page's
            // last event in the cookies, not a value written after it started.
            env.commit_cookies();
        }
    }

    /// `pagehide`: the page goes (or enters the back/forward cache). With lifecycle
    /// autotracking, a page still visible goes to the background; without it, the current
    /// screen ends (`screen_end` with its summary), so its time reaches the collector with the
    /// page-hide flush.
    pub fn page_hide(&mut self, env: &mut impl Env, page: &PageFacts, to: &mut Sink<'_>) {
        if self.lifecycle.is_some() {
            self.visibility(env, true, page, to);
            return;
        }
        let now = env.now_ms();
        self.end_screen(env, now, page, to);
        env.commit_cookies(); // the page goes: no end of task to wait for
    }

    /// The current screen (if screen engagement follows one) ends at `now`: its `screen_end`
    /// event with the screen summary.
    fn end_screen(&mut self, env: &mut impl Env, now: i64, page: &PageFacts, to: &mut Sink<'_>) {
        if let Some(summary) = &mut self.summary {
            summary.update(now);
            let summary = summary.entity();
            let end = json::self_describing(SCREEN_END_SCHEMA, "{}");
            self.emit(env, Body::Unstruct(end), &TrackOptions::default(), Some(summary), page, to);
        }
    }

    /// Builds one event and appends it to `to`: session rules, entities (the call's own, then
    /// `web_page`, the plugins' and the global contexts, `screen`, `application_lifecycle`,
    /// `gdpr`, the given `screen_summary`, `client_session`), the plugins' `beforeTrack` and
    /// `filter`, payload, storage. Nothing while Do Not Track is respected or the opt-out cookie
    /// is present (which also removes the stored identity).
    fn emit(
        &mut self,
        env: &mut impl Env,
        body: Body,
        options: &TrackOptions,
        summary: Option<String>,
        page: &PageFacts,
        to: &mut Sink<'_>,
    ) {
        // The core build (no `full` feature) has neither Do Not Track nor the opt-out cookie.
        if cfg!(feature = "full") && self.suppressed(env) {
            return;
        }
        let plugins = cfg!(feature = "full") && to.hooks.has_plugins();
        let now = env.now_ms();
        self.web.refresh(page);
        let event_id = env.new_uuid();
        let stored = read_stored(&self.store, self.anonymous(), env);
        let started = self.session.before_event(stored, now, || env.new_uuid());
        let first_in_session = self.session.state().event_index == 0;
        let (ts_key, ts) = match options.timestamp {
            Some(Timestamp::True(ms)) => ("ttm", ms),
            Some(Timestamp::Device(ms)) => ("dtm", ms),
            None => ("dtm", now),
        };
        self.session.record_event(now, &event_id, ts);

        let web_page = self.config.web_page_context.then(|| {
            let id = self.web.page_view_id(|| env.new_uuid());
            json::self_describing(WEB_PAGE_SCHEMA, &concat(&["{\"id\":\"", id, "\"}"]))
        });
        let mut payload = Payload::new();
        let (event_type, schema) = if self.contexts.is_empty() { ("", String::new()) } else { body.kind() };
        match body {
            Body::PageView(title) => {
                payload.add("e", "pv");
                payload.add("url", self.web.url());
                payload.add("page", title);
                payload.add("refr", self.web.referrer());
            }
            Body::PagePing(title, extents) => {
                payload.add("e", "pp");
                payload.add("url", self.web.url());
                payload.add("page", title);
                payload.add("refr", self.web.referrer());
                let offsets = [
                    ("pp_mix", extents.min_x),
                    ("pp_max", extents.max_x),
                    ("pp_miy", extents.min_y),
                    ("pp_may", extents.max_y),
                ];
                for (key, offset) in offsets {
                    // A 0 offset is left out, as the JS tracker adds only truthy ones.
                    let offset = math_round(offset);
                    if offset != 0 {
                        payload.add(key, int(offset));
                    }
                }
            }
            Body::Unstruct(json) => {
                payload.add("e", "ue");
                payload.set_unstruct(json);
            }
            Body::Struct(se) => {
                payload.add("e", "se");
                payload.add("se_ca", se.category);
                payload.add("se_ac", se.action);
                payload.add_opt("se_la", se.label);
                payload.add_opt("se_pr", se.property);
                payload.add_opt("se_va", se.value);
            }
        }
        let common = Common {
            config: &self.config,
            browser: &self.browser,
            state: self.session.state(),
            user_id: self.user_id.as_deref().filter(|_| self.anonymous().is_none()),
            session: self.anonymous().is_none_or(|a| a.with_session_tracking),
            web: &self.web,
        };
        common.add_to(&mut payload, &event_id, ts_key, ts, page);
        // Generators and filters see the event's fields without its entities, as in the JS tracker.
        let view = if self.contexts.has_functions() { plugin_view(&payload) } else { String::new() };

        for entity in &options.context {
            payload.add_entity(entity.to_json());
        }
        if let Some(web_page) = web_page {
            payload.add_entity(web_page);
        }
        if plugins {
            for entity in to.hooks.plugin_contexts() {
                payload.add_entity(entity);
            }
        }
        if !self.contexts.is_empty() {
            let kind = EventKind { event_type, event_schema: &schema, event: &view };
            for entity in self.contexts.entities(kind, &mut *to.hooks) {
                payload.add_entity(entity);
            }
        }
        if let Some(screen) = &self.screen {
            let mut w = ObjectWriter::new();
            w.string("name", &screen.name).string("id", &screen.id);
            if let Some(t) = &screen.screen_type {
                w.string("type", t);
            }
            payload.add_entity(json::self_describing(SCREEN_SCHEMA, &w.finish()));
        }
        if let Some(lifecycle) = &self.lifecycle {
            payload.add_entity(lifecycle.entity());
        }
        if let Some(gdpr) = &self.gdpr {
            payload.add_entity(gdpr.clone());
        }
        if let Some(summary) = summary {
            payload.add_entity(summary);
        }
        if self.config.session_context {
            payload.add_entity(json::self_describing(CLIENT_SESSION_SCHEMA, &self.session_context_json()));
        }
        let mut seen_by_plugins = None;
        if plugins {
            let added = to.hooks.before_track(&plugin_view(&payload));
            for (key, value) in added.fields {
                payload.add_extra(key, value);
            }
            for entity in added.entities {
                payload.add_entity(entity);
            }
            seen_by_plugins = Some(plugin_view(&payload));
        }
        let wire = match self.config.method {
            Method::Post => payload.to_post_json(self.config.encode_base64),
            Method::Get => payload.to_query(self.config.encode_base64),
        };
        drop(payload);
        self.write_state(env);
        if started || first_in_session {
            env.commit_cookies();
        }
        // A filtered event still counts in the session, as in the JS tracker.
        if seen_by_plugins.as_ref().is_some_and(|view| !to.hooks.keep(view)) {
            self.filtered += 1;
            return;
        }
        let notify = (started || first_in_session) && !core::mem::take(&mut self.manual_session_update);
        let session_update = notify.then(|| self.session_context_json());
        let anonymous = self.anonymous().is_some_and(|a| a.with_server_anonymisation);
        to.events.push(Tracked { event_id, wire, session_update, anonymous });
        if let Some(view) = seen_by_plugins {
            to.hooks.after_track(&view);
        }
    }

    /// Whether Do Not Track or the opt-out cookie stops the event (the opt-out cookie removes
    /// the stored identity too, as in the JS tracker).
    fn suppressed(&mut self, env: &mut impl Env) -> bool {
        if self.do_not_track {
            return true;
        }
        let Some(name) = &self.config.opt_out_cookie else { return false };
        if env.read_cookie(name).is_none() {
            return false;
        }
        let stored = read_stored(&self.store, self.anonymous(), env);
        if stored.id_cookie.is_some() || stored.session_alive {
            self.store.clear(env);
            env.commit_cookies();
        }
        self.opted_out = true;
        true
    }

    /// Builds the screen view event body and moves the screen state forward.
    fn screen_view(&mut self, env: &mut impl Env, sv: ScreenView) -> String {
        let id = sv.id.unwrap_or_else(|| env.new_uuid());
        let mut w = ObjectWriter::new();
        w.string("name", &sv.name).string("id", &id);
        if let Some(t) = &sv.screen_type {
            w.string("type", t);
        }
        let given = sv.previous_name.is_some() || sv.previous_id.is_some();
        match &self.screen {
            Some(previous) if !given => {
                w.string("previousName", &previous.name).string("previousId", &previous.id);
                if let Some(t) = &previous.screen_type {
                    w.string("previousType", t);
                }
            }
            _ => {
                for (key, value) in [
                    ("previousName", &sv.previous_name),
                    ("previousId", &sv.previous_id),
                    ("previousType", &sv.previous_type),
                ] {
                    if let Some(value) = value {
                        w.string(key, value);
                    }
                }
            }
        }
        if let Some(t) = &sv.transition_type {
            w.string("transitionType", t);
        }
        self.screen = Some(Screen { id, name: sv.name, screen_type: sv.screen_type });
        json::self_describing(SCREEN_VIEW_SCHEMA, &w.finish())
    }

    /// Starts a new session now (`newSession()`), writing it at once; returns the new
    /// `client_session` data for `onSessionUpdate`.
    pub fn new_session(&mut self, env: &mut impl Env) -> String {
        let now = env.now_ms();
        let stored = read_stored(&self.store, self.anonymous(), env);
        self.session.force_new(stored, now, || env.new_uuid());
        self.write_state(env);
        env.commit_cookies();
        self.manual_session_update = true;
        self.session_context_json()
    }

    /// Notes a page visibility change, rewriting the session cookie when the two inactivity
    /// timeouts differ.
    pub fn set_hidden(&mut self, env: &mut impl Env, hidden: bool) {
        if self.session.set_hidden(hidden, env.now_ms())
            && read_stored(&self.store, self.anonymous(), env).session_alive
        {
            self.write_state(env);
        }
    }

    /// Starts anonymous tracking (`enableAnonymousTracking`), from the next event: no domain user
    /// id or user id in events, no `_sp_id` written (an existing one stays until
    /// `clearUserData`). Without session tracking, a new in-memory session and page view id.
    pub fn enable_anonymous(&mut self, env: &mut impl Env, settings: AnonymousTracking) {
        self.anonymous = Some(settings);
        self.session.set_user(String::new());
        if !settings.with_session_tracking {
            let session_id = env.new_uuid();
            self.session.reset(env.now_ms(), Some(session_id));
            self.web.rotate_page_view_id(env.new_uuid());
        }
    }

    /// Stops anonymous tracking (`disableAnonymousTracking`), from the next event: the stored
    /// domain user id, or a fresh one, with the session going on; written at once.
    pub fn disable_anonymous(&mut self, env: &mut impl Env) {
        if self.anonymous.take().is_none() {
            return;
        }
        let stored = self.store.read(env).id_cookie.map(|c| c.domain_user_id);
        let user = stored.unwrap_or_else(|| env.new_uuid());
        self.session.set_user(user);
        self.write_state(env);
        env.commit_cookies();
    }

    /// Changes `stateStorageStrategy` (the `stateStorageStrategy` of `enableAnonymousTracking`
    /// and `disableAnonymousTracking`): the current state is written to the new store at once,
    /// so a session in progress goes on there.
    pub fn set_state_storage(&mut self, env: &mut impl Env, strategy: StateStorage) {
        if self.store.strategy == strategy {
            return;
        }
        self.store.strategy = strategy;
        self.config.state_storage = strategy;
        self.write_state(env);
        env.commit_cookies();
    }

    /// Whether tracking is anonymous, and how (never in the core build: without the `full`
    /// feature no anonymous tracking code is compiled in).
    #[inline]
    pub fn anonymous(&self) -> Option<AnonymousTracking> {
        if cfg!(feature = "full") { self.anonymous } else { None }
    }

    /// `clearUserData`: removes the stored identity and session, and starts over in memory: a
    /// new session (session index 1) unless `preserve_session`, a new domain user id (none while
    /// anonymous) and no user id unless `preserve_user`. Written again with the next event.
    pub fn clear_user_data(&mut self, env: &mut impl Env, preserve_session: bool, preserve_user: bool) {
        self.store.clear(env);
        env.commit_cookies();
        if !preserve_user {
            let user = if self.anonymous().is_some() { String::new() } else { env.new_uuid() };
            self.session.set_user(user);
            self.user_id = None;
        }
        let session_id = (!preserve_session).then(|| env.new_uuid());
        self.session.reset(env.now_ms(), session_id);
    }

    /// The global contexts, to add or remove some (`addGlobalContexts`, ...).
    pub fn contexts_mut(&mut self) -> &mut GlobalContexts {
        &mut self.contexts
    }

    /// The global contexts.
    pub fn contexts(&self) -> &GlobalContexts {
        &self.contexts
    }

    /// Events a plugin's `filter` dropped.
    pub fn filtered(&self) -> u64 {
        self.filtered
    }

    /// Sets (or, with `None`, removes) the cookie whose presence stops tracking
    /// (`setOptOutCookie`).
    pub fn set_opt_out_cookie(&mut self, name: Option<String>) {
        self.config.opt_out_cookie = name.filter(|n| !n.is_empty());
    }

    /// Whether an event was suppressed by the opt-out cookie since the last call (the page
    /// then drops its queue).
    pub fn take_opt_out(&mut self) -> bool {
        core::mem::take(&mut self.opted_out)
    }

    /// Adds the `gdpr` entity to every later event (`enableGdprContext`), or stops it.
    pub fn set_gdpr(&mut self, gdpr: Option<Gdpr>) {
        self.gdpr = gdpr.map(|g| g.entity());
    }

    /// `setCookiePath(path)`: the cookies are named for `path` (their hash is of the domain and
    /// the path, as in the JS tracker) and written with it; the current identity and session
    /// are written there at once.
    pub fn set_cookie_path(&mut self, env: &mut impl Env, path: String) {
        let path = if path.is_empty() { String::from("/") } else { path };
        let hash = cookie::domain_hash(&self.hash_domain, &path);
        self.store.id_key = cookie::cookie_name(&self.config.cookie_name, "id", &hash);
        self.store.ses_key = cookie::cookie_name(&self.config.cookie_name, "ses", &hash);
        self.store.cookie_attributes.path = Some(path).filter(|p| p != "/");
        if !self.do_not_track {
            let (lifetime, timeout) = (self.config.cookie_lifetime_s, self.session.timeout_s());
            write_stored(&self.store, self.anonymous, env, self.session.state(), lifetime, timeout);
            env.commit_cookies();
        }
    }

    /// `setVisitorCookieTimeout(seconds)`: the `_sp_id` cookie's lifetime from its next write.
    pub fn set_cookie_lifetime(&mut self, seconds: i64) {
        self.config.cookie_lifetime_s = seconds;
    }

    /// `url` as a collector URL for this page (a scheme-less URL gets the page's).
    ///
    /// # Errors
    /// [`crate::Error::Config`] when it is not an `http(s)://` URL.
    pub fn collector_url_for(&self, url: &str) -> Result<String> {
        crate::engine::config::normalize_collector_url(url, &self.browser.protocol)
    }

    /// `setCollectorUrl`, with the URL [`Tracker::collector_url_for`] gave.
    pub fn set_collector_url(&mut self, url: String) {
        self.config.collector_url = url;
    }

    /// Sets or clears the business user id (`uid`; `None` or empty: cleared).
    pub fn set_user_id(&mut self, user_id: Option<String>) {
        self.user_id = user_id.filter(|u| !u.is_empty());
    }

    /// The business user id (`getUserId()`).
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// The page's URL, referrer, title and page view id (`setCustomUrl`, `getPageViewId`, ...).
    pub fn page_state(&mut self) -> &mut PageState {
        &mut self.web
    }

    /// `getDomainUserInfo()`: whether an `_sp_id` is stored, and its value read afresh (else the
    /// tracker's own state), in the cookie's form.
    pub fn domain_user_info(&self, env: &mut impl Env) -> (bool, String) {
        let stored = self.store.read(env).id_cookie;
        (stored.is_some(), stored.as_ref().unwrap_or(self.session.state()).serialize())
    }

    /// The current `client_session` entity data.
    pub fn session_context_json(&self) -> String {
        let mechanism = match self.config.state_storage {
            StateStorage::LocalStorage => StorageMechanism::LocalStorage,
            _ => StorageMechanism::Cookie,
        };
        self.session.state().client_session_json(mechanism)
    }

    /// The identity and session state as of the latest event (the JS tracker's memorized values).
    pub fn state(&self) -> &IdCookie {
        self.session.state()
    }

    /// Names of the id and session cookies (or localStorage keys).
    pub fn storage_keys(&self) -> (&str, &str) {
        (&self.store.id_key, &self.store.ses_key)
    }

    fn write_state(&self, env: &mut impl Env) {
        if !self.do_not_track {
            let (lifetime, timeout) = (self.config.cookie_lifetime_s, self.session.timeout_s());
            write_stored(&self.store, self.anonymous(), env, self.session.state(), lifetime, timeout);
        }
    }

    /// The validated configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }
}
