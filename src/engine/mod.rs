//! The engine: every decision of the tracker, made without the browser. [`Engine`] owns the
//! [`Tracker`] (identity, sessions, payloads), [`Delivery`] (queue, storage, retries, tabs) and
//! [`Activity`] (page pings), takes one [`Input`] at a time (a call, a page event, an answer, a
//! timer, storage read back) and answers with [`Effect`]s for the shell to carry out. What it
//! reads synchronously (cookies, storage, the clock, the page's facts and coalesced sensors) it
//! reads through the [`Shell`] trait; the page's functions (generators, filters, plugins) through
//! [`PageHooks`]. No browser APIs, clock or randomness live here: everything runs under plain
//! `cargo test` (`sim` drives it with a fake browser).

pub mod activity;
pub mod config;
pub mod contexts;
pub mod cookie;
pub mod cross_domain;
pub mod delivery;
pub mod engagement;
pub mod env;
pub mod event;
pub mod facts;
pub mod history;
pub mod id_cookie;
#[cfg(feature = "full")]
pub mod link_click;
pub mod page_state;
pub mod payload;
pub mod session;
#[cfg(any(test, feature = "test-util"))]
pub mod sim;
pub mod state_store;
pub mod tracker;
pub mod util;
pub mod warnings;

use crate::prelude::*;
use activity::{Activity, ActivityAction, ActivityConfig, Coalesced, Extents, Which};
use alloc::collections::VecDeque;
use alloc::rc::Rc;
use contexts::PageHooks;
use delivery::chunks::{chunk_events, event_id_of};
use delivery::{Action, Answer, Delivery, LiveTabs, OrphanChunk, Wire};
use engagement::DocumentScroll;
use env::Env;
use event::{Event, TrackOptions};
use facts::PageFacts;
use history::HistoryPages;
use tracker::{Sink, Tracked, Tracker};
#[cfg(feature = "full")]
use util::uri;

/// What the engine reads from the page while it handles an input, besides cookies, storage
/// and the clock ([`Env`]): how the shell keeps wire texts, the page's facts, and what its
/// sensors coalesced since the last time.
pub trait Shell: Env {
    /// An event's wire text as the shell keeps it while it waits for delivery.
    type Wire: Wire;
    /// Takes an event's wire text.
    fn wire(&mut self, text: &str) -> Self::Wire;
    /// The page's facts now (`url`, `refr`, title, viewport, document size).
    fn page_facts(&mut self) -> Rc<PageFacts>;
    /// Whether the page is hidden now.
    fn hidden(&mut self) -> bool;
    /// The document's scroll since the last time ([`Effect::WatchScroll`]); `None` when it did
    /// not scroll or is not watched.
    fn take_scroll(&mut self) -> Option<DocumentScroll>;
    /// The page's activity since the last time ([`Effect::WatchActivity`]); `None` before it
    /// is watched.
    fn take_activity(&mut self) -> Option<Coalesced>;
}

/// The engine's timers; arming one replaces the armed one of the same kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// One of delivery's.
    Delivery(delivery::Timer),
    /// An activity tracking check (page ping or callback).
    Activity(Which),
}

/// Everything that happens to the engine.
#[derive(Debug)]
pub enum Input {
    /// The tracker was created: announce the page, start watching what the configuration asks
    /// for, look for other pages' leftovers.
    Start,
    /// A `track*` call (validated: [`Event::validate`]).
    Track {
        /// The event.
        event: Event,
        /// Its entities, timestamp and subject.
        options: TrackOptions,
    },
    /// A link click (`trackLinkClick`, link click tracking): as [`Input::Track`], sent with
    /// `keepalive` since the page may navigate away at once.
    LinkClick {
        /// The `link_click` event.
        event: Event,
        /// Its entities, timestamp and subject.
        options: TrackOptions,
    },
    /// A click or mousedown on a link, for cross-domain linking (`crossDomainLinker`): whether
    /// the page's function `accepted` it, its `href`, and the reason text when the extended
    /// value carries one. Answered with [`Effect::Decorate`] when the link is decorated.
    #[cfg(feature = "full")]
    CrossDomainLink {
        /// What the page's function answered.
        accepted: bool,
        /// The link's `href`.
        href: String,
        /// The link's text, or what the page's reason function answered.
        reason: Option<String>,
    },
    /// History autotracking saw `pushState`, `replaceState` or `popstate` (once per task): a
    /// page view when the URL without its fragment changed ([`history::HistoryPages`]).
    UrlChanged,
    /// The page became hidden or visible.
    Visibility {
        /// Hidden now.
        hidden: bool,
    },
    /// `pagehide`: the page goes (or enters the back/forward cache).
    PageHide,
    /// `pageshow`: the page shows again (back from the back/forward cache).
    PageShow,
    /// The browser is back online.
    Online,
    /// A timer fired.
    TimerFired(Timer),
    /// The task that asked for [`Action::EndOfTask`] ends.
    EndOfTask,
    /// The collector answered request `id` (or the request failed).
    Answered {
        /// The request's id.
        id: u64,
        /// The answer.
        answer: Answer,
    },
    /// Storage refused to keep chunk `chunk` ([`Action::Store`]).
    StoreRefused {
        /// The chunk.
        chunk: u64,
    },
    /// The keys [`Action::ListKeys`] asked for.
    KeysListed {
        /// The keys.
        keys: Vec<String>,
    },
    /// What [`Action::FindLiveTabs`] found, under its lock.
    LiveTabs {
        /// The live tabs.
        tabs: LiveTabs,
        /// The keys under the prefix.
        keys: Vec<String>,
    },
    /// What [`Action::ReadChunks`] read, under its lock: each chunk's key and text (empty when
    /// gone), each mark's key and text (left out when gone).
    ChunksRead {
        /// Chunks: key, text.
        chunks: Vec<(String, String)>,
        /// Marks: key, text.
        marks: Vec<(String, String)>,
    },
    /// `flush()`: [`delivery::Report::Flushed`] with `ticket` tells when it is done.
    Flush {
        /// The caller's ticket.
        ticket: u64,
    },
    /// `enableActivityTracking` or `enableActivityTrackingCallback`.
    EnableActivity {
        /// Which of the two.
        which: Which,
        /// Its timings.
        config: ActivityConfig,
        /// The shell's id of the page's callback ([`Effect::ActivityCallback`] names it).
        callback: Option<u32>,
    },
    /// `disableActivityTracking` or `disableActivityTrackingCallback`.
    DisableActivity(Which),
    /// `updatePageActivity()`: the page counts as active now.
    UpdatePageActivity,
    /// `newSession()`.
    NewSession,
    /// A setter ([`Setting`]).
    Set(Setting),
}

/// A call that changes what later events carry, or how the tracker stores identity, without an
/// event of its own.
#[derive(Debug)]
pub enum Setting {
    /// `setUserId` (`None`: cleared).
    UserId(Option<String>),
    /// `setCustomUrl` (resolved against the page's URL already).
    CustomUrl(String),
    /// `setReferrerUrl`.
    ReferrerUrl(String),
    /// `setDocumentTitle`.
    DocumentTitle(String),
    /// `preservePageViewId`.
    PreservePageViewId,
    #[cfg(feature = "full")]
    /// `discardHashTag(enable)`.
    DiscardHashTag(bool),
    #[cfg(feature = "full")]
    /// `discardBrace(enable)`.
    DiscardBrace(bool),
    #[cfg(feature = "full")]
    /// `setUserIdFromLocation(field)`: the user id from the page URL's query.
    UserIdFromLocation(String),
    #[cfg(feature = "full")]
    /// `setUserIdFromReferrer(field)`: the user id from the referrer's query.
    UserIdFromReferrer(String),
    #[cfg(feature = "full")]
    /// `setUserIdFromCookie(name)`: the user id from a cookie.
    UserIdFromCookie(String),
    #[cfg(feature = "full")]
    /// `setCookiePath(path)`: the cookies' path, and their names' hash.
    CookiePath(String),
    #[cfg(feature = "full")]
    /// `setVisitorCookieTimeout(seconds)`: the lifetime of the `_sp_id` cookie from now on.
    VisitorCookieTimeout(i64),
    #[cfg(feature = "full")]
    /// `setCollectorUrl(url)` (normalised by [`tracker::Tracker::collector_url_for`]): where
    /// every later request goes, the events already queued included.
    CollectorUrl(String),
    #[cfg(feature = "full")]
    /// `setBufferSize(size)` (at least 1).
    BufferSize(usize),
    /// `enableGdprContext`.
    #[cfg(feature = "full")]
    Gdpr(event::Gdpr),
    /// `enableAnonymousTracking` (and its `stateStorageStrategy`, when given).
    #[cfg(feature = "full")]
    Anonymous {
        /// How anonymous.
        settings: config::AnonymousTracking,
        /// The new storage strategy.
        state_storage: Option<config::StateStorage>,
    },
    /// `disableAnonymousTracking` (and its `stateStorageStrategy`, when given).
    #[cfg(feature = "full")]
    Identified {
        /// The new storage strategy.
        state_storage: Option<config::StateStorage>,
    },
    /// `clearUserData`.
    #[cfg(feature = "full")]
    ClearUserData {
        /// Keep the session.
        preserve_session: bool,
        /// Keep the user.
        preserve_user: bool,
    },
    /// `setOptOutCookie` (`None`: no opt-out cookie).
    #[cfg(feature = "full")]
    OptOutCookie(Option<String>),
    /// `addGlobalContexts`: each context with its name, if it has one.
    #[cfg(feature = "full")]
    AddGlobalContexts(Vec<(Option<String>, contexts::GlobalContext)>),
    /// `removeGlobalContexts`: the named ones, and the unnamed ones equal to these.
    #[cfg(feature = "full")]
    RemoveGlobalContexts {
        /// Names.
        names: Vec<String>,
        /// Contexts.
        contexts: Vec<contexts::GlobalContext>,
    },
    /// `clearGlobalContexts`.
    #[cfg(feature = "full")]
    ClearGlobalContexts,
}

/// What the shell carries out for the engine, in the order given.
#[derive(Debug)]
pub enum Effect<W> {
    /// Delivery's work: requests, storage, tabs, reports (timers come as [`Effect::Arm`]).
    Delivery(Action<W>),
    /// Feed [`Input::TimerFired`] with `timer` after `after_ms`, replacing the armed one.
    Arm {
        /// Which timer.
        timer: Timer,
        /// Delay, ms.
        after_ms: u64,
    },
    /// Disarm a timer.
    Cancel(Timer),
    /// Start coalescing the document's scroll for [`Shell::take_scroll`].
    WatchScroll,
    /// Start coalescing the page's activity for [`Shell::take_activity`].
    WatchActivity,
    /// Start following history changes (`pushState`, `replaceState`, `popstate`) for
    /// [`Input::UrlChanged`].
    WatchHistory,
    /// Call `onSessionUpdate` with this `client_session` (JSON).
    SessionUpdate(String),
    /// Set the link of [`Input::CrossDomainLink`]'s `href` to this (`_sp` added).
    #[cfg(feature = "full")]
    Decorate(String),
    /// Call the page's activity callback.
    ActivityCallback {
        /// The shell's id of the callback.
        callback: u32,
        /// The page view id.
        page_view_id: String,
        /// The scroll extents since the last call.
        extents: Extents,
        /// With `activityMetrics`: the `activity_metrics` data (JSON) since the last call.
        metrics: Option<String>,
    },
}

/// The `activity_metrics` entity of `metrics` (always valid).
fn activity_metrics_entity(metrics: activity::Metrics) -> Option<event::SelfDescribingJson> {
    event::SelfDescribingJson::new("", activity::ACTIVITY_METRICS_SCHEMA, metrics.to_json()).ok()
}

/// One tracker's engine.
#[derive(Debug)]
pub struct Engine<W> {
    /// Identity, sessions and payloads.
    pub tracker: Tracker,
    /// The delivery state machine.
    pub delivery: Delivery<W>,
    /// Activity tracking.
    pub activity: Activity,
    effects: VecDeque<Effect<W>>,
    /// The events of the current input (kept to reuse its buffer).
    tracked: Vec<Tracked>,
    activity_out: Vec<ActivityAction>,
    /// The shell's id of the activity callback.
    activity_callback: Option<u32>,
    /// History autotracking's last URL.
    history: HistoryPages,
}

impl<W: Wire> Engine<W> {
    /// The engine of a created tracker; `tab_id` names this page among the origin's, `seed`
    /// seeds delivery's jitter. Nothing happens before [`Input::Start`].
    pub fn new(tracker: Tracker, tab_id: String, seed: u64) -> Self {
        let config = tracker.config();
        let delivery = Delivery::new(config.send_settings(), &config.namespace, tab_id, seed);
        let activity = Activity::new(config.reset_activity_on_page_view);
        Engine {
            tracker,
            delivery,
            activity,
            effects: VecDeque::new(),
            tracked: Vec::new(),
            activity_out: Vec::new(),
            activity_callback: None,
            history: HistoryPages::default(),
        }
    }

    /// The next effect to carry out, in order.
    pub fn next_effect(&mut self) -> Option<Effect<W>> {
        if let Some(effect) = self.effects.pop_front() {
            return Some(effect);
        }
        Some(match self.delivery.next_action()? {
            Action::Arm { timer, after_ms } => Effect::Arm { timer: Timer::Delivery(timer), after_ms },
            action => Effect::Delivery(action),
        })
    }

    /// Handles one input; its effects follow from [`Engine::next_effect`].
    pub fn handle<S: Shell<Wire = W>>(&mut self, shell: &mut S, hooks: &mut dyn PageHooks, input: Input) {
        let now = shell.now_ms();
        // The core build (no `full` feature) has no activity tracking and no history
        // autotracking: their inputs do nothing there, and their code is not compiled in.
        let full_only = matches!(
            input,
            Input::TimerFired(Timer::Activity(_))
                | Input::EnableActivity { .. }
                | Input::DisableActivity(_)
                | Input::UpdatePageActivity
                | Input::UrlChanged
        );
        if full_only && !cfg!(feature = "full") {
            return;
        }
        match input {
            Input::Start => {
                let config = self.tracker.config();
                if config.screen_engagement_autotracking && config.screen_engagement_scroll {
                    self.effects.push_back(Effect::WatchScroll);
                }
                if cfg!(feature = "full") && config.page_view_autotracking {
                    self.effects.push_back(Effect::WatchHistory);
                    self.history = HistoryPages::new(&shell.page_facts().url);
                }
                self.delivery.start(now);
            }
            Input::Track { event, options } => self.track(shell, hooks, event, options),
            Input::LinkClick { event, options } => {
                self.track(shell, hooks, event, options);
                self.delivery.expect_unload();
            }
            #[cfg(feature = "full")]
            Input::CrossDomainLink { accepted, href, reason } => {
                if let Some(decorated) = self.cross_domain_href(accepted, &href, reason.as_deref(), now) {
                    self.effects.push_back(Effect::Decorate(decorated));
                }
            }
            Input::UrlChanged => {
                if self.history.changed(&shell.page_facts().url) {
                    self.track(shell, hooks, Event::PageView { title: None }, TrackOptions::default())
                }
            }
            Input::Visibility { hidden } => self.visibility(shell, hooks, now, hidden),
            Input::PageHide => {
                self.fold_scroll(shell);
                let page = shell.page_facts();
                let mut out = core::mem::take(&mut self.tracked);
                self.tracker.page_hide(shell, &page, &mut Sink { events: &mut out, hooks });
                self.deliver(shell, out);
                self.delivery.page_hide(now);
            }
            Input::PageShow => {
                if !shell.hidden() {
                    self.visibility(shell, hooks, now, false);
                }
            }
            Input::Online => self.delivery.online(now),
            Input::TimerFired(Timer::Delivery(timer)) => self.delivery.timer_fired(now, timer),
            Input::TimerFired(Timer::Activity(which)) => {
                let coalesced = shell.take_activity().unwrap_or_default();
                let hidden = shell.hidden();
                self.activity.tick(now, which, coalesced, hidden, &mut self.activity_out);
            }
            Input::EndOfTask => self.delivery.end_of_task(now),
            Input::Answered { id, answer } => self.delivery.answered(now, id, answer),
            Input::StoreRefused { chunk } => self.delivery.store_refused(chunk),
            Input::KeysListed { keys } => self.delivery.keys_listed(now, &keys),
            Input::LiveTabs { tabs, keys } => self.delivery.live_tabs(now, &tabs, keys),
            Input::ChunksRead { chunks, marks } => {
                let chunks = chunks
                    .into_iter()
                    .map(|(key, text)| {
                        let events = chunk_events(&text)
                            .map(|wire| (event_id_of(wire).unwrap_or_default().to_owned(), shell.wire(wire)))
                            .collect();
                        OrphanChunk { key, events }
                    })
                    .collect();
                self.delivery.chunks_read(now, chunks, marks);
            }
            Input::Flush { ticket } => self.delivery.flush(now, ticket),
            Input::EnableActivity { which, config, callback } => {
                if self.activity.enable(which, config) && callback.is_some() {
                    self.activity_callback = callback;
                }
            }
            Input::DisableActivity(which) => self.activity.disable(which, &mut self.activity_out),
            Input::UpdatePageActivity => {
                let hidden = shell.hidden();
                self.activity.update_page_activity(now, hidden);
            }
            Input::Set(setting) => self.set(shell, setting),
            Input::NewSession => {
                let update = self.tracker.new_session(shell);
                self.effects.push_back(Effect::SessionUpdate(update));
            }
        }
        self.activity_actions(shell, hooks);
    }

    /// The `href` a link gets from cross-domain linking, `None` when it is not decorated: the
    /// `_sp` value of the tracker's identity now (no domain user id nor user id while anonymous).
    #[cfg(feature = "full")]
    fn cross_domain_href(
        &self,
        accepted: bool,
        href: &str,
        reason: Option<&str>,
        now: i64,
    ) -> Option<String> {
        if !cross_domain::decorates(accepted, href) {
            return None;
        }
        let t = &self.tracker;
        let (state, config, anonymous) = (t.state(), t.config(), t.anonymous().is_some());
        let source = cross_domain::Source {
            domain_user_id: if anonymous { "" } else { &state.domain_user_id },
            timestamp_ms: now,
            session_id: &state.session_id,
            user_id: if anonymous { None } else { t.user_id() },
            app_id: &config.app_id,
            platform: &config.platform,
            reason,
        };
        let value = cross_domain::value(config.cross_domain_extended.as_ref(), &source);
        Some(cross_domain::decorate(href, cross_domain::PARAMETER, &value))
    }

    /// Applies a setter.
    fn set<S: Shell<Wire = W>>(&mut self, shell: &mut S, setting: Setting) {
        let t = &mut self.tracker;
        match setting {
            Setting::UserId(user_id) => t.set_user_id(user_id),
            Setting::CustomUrl(url) => t.page_state().set_custom_url(&shell.page_facts(), url),
            Setting::ReferrerUrl(url) => t.page_state().set_referrer_url(url),
            Setting::DocumentTitle(title) => t.page_state().set_document_title(&shell.page_facts(), title),
            Setting::PreservePageViewId => t.page_state().preserve_page_view_id(),
            #[cfg(feature = "full")]
            Setting::DiscardHashTag(enable) => t.page_state().discard_hash_tag(enable),
            #[cfg(feature = "full")]
            Setting::DiscardBrace(enable) => t.page_state().discard_brace(enable),
            #[cfg(feature = "full")]
            Setting::UserIdFromLocation(field) => {
                let page = shell.page_facts();
                t.page_state().refresh(&page);
                t.set_user_id(uri::from_querystring(&field, &page.url));
            }
            #[cfg(feature = "full")]
            Setting::UserIdFromReferrer(field) => {
                t.page_state().refresh(&shell.page_facts());
                let user_id = uri::from_querystring(&field, t.page_state().page_referrer());
                t.set_user_id(user_id);
            }
            #[cfg(feature = "full")]
            // `read_cookie` gives the value URI-decoded already, as the JS tracker's `cookie()`.
            Setting::UserIdFromCookie(name) => t.set_user_id(shell.read_cookie(&name)),
            #[cfg(feature = "full")]
            Setting::CookiePath(path) => t.set_cookie_path(shell, path),
            #[cfg(feature = "full")]
            Setting::VisitorCookieTimeout(seconds) => t.set_cookie_lifetime(seconds),
            #[cfg(feature = "full")]
            Setting::CollectorUrl(url) => {
                t.set_collector_url(url);
                self.delivery.set_endpoint(t.config().endpoint());
            }
            #[cfg(feature = "full")]
            Setting::BufferSize(size) => self.delivery.set_buffer_size(size),
            #[cfg(feature = "full")]
            Setting::Gdpr(gdpr) => t.set_gdpr(Some(gdpr)),
            #[cfg(feature = "full")]
            Setting::Anonymous { settings, state_storage } => {
                if let Some(strategy) = state_storage {
                    t.set_state_storage(shell, strategy);
                }
                t.enable_anonymous(shell, settings);
            }
            #[cfg(feature = "full")]
            Setting::Identified { state_storage } => {
                if let Some(strategy) = state_storage {
                    t.set_state_storage(shell, strategy);
                }
                t.disable_anonymous(shell);
            }
            #[cfg(feature = "full")]
            Setting::ClearUserData { preserve_session, preserve_user } => {
                t.clear_user_data(shell, preserve_session, preserve_user)
            }
            #[cfg(feature = "full")]
            Setting::OptOutCookie(name) => t.set_opt_out_cookie(name),
            #[cfg(feature = "full")]
            Setting::AddGlobalContexts(added) => {
                for (name, context) in added {
                    t.contexts_mut().add(name, context);
                }
            }
            #[cfg(feature = "full")]
            Setting::RemoveGlobalContexts { names, contexts } => {
                let global = t.contexts_mut();
                for name in names {
                    global.remove_named(&name);
                }
                for context in contexts {
                    global.remove(&context);
                }
            }
            #[cfg(feature = "full")]
            Setting::ClearGlobalContexts => t.contexts_mut().clear(),
        }
    }

    /// Tracks an event and hands what it produced to delivery; a screen view first folds the
    /// ending screen's last scrolls, a page view (re)starts the activity checks.
    fn track<S: Shell<Wire = W>>(
        &mut self,
        shell: &mut S,
        hooks: &mut dyn PageHooks,
        event: Event,
        options: TrackOptions,
    ) {
        if matches!(event, Event::ScreenView(_)) {
            self.fold_scroll(shell);
        }
        let page_view = matches!(event, Event::PageView { .. });
        let page = shell.page_facts();
        let mut out = core::mem::take(&mut self.tracked);
        let _ = self.tracker.track(shell, event, options, &page, &mut Sink { events: &mut out, hooks });
        self.deliver(shell, out);
        if page_view && cfg!(feature = "full") {
            let now = shell.now_ms();
            self.activity.page_view(now, &mut self.activity_out);
        }
    }

    /// The page became hidden or visible: lifecycle events first, then delivery's page-hide
    /// flush, which carries them.
    fn visibility<S: Shell<Wire = W>>(
        &mut self,
        shell: &mut S,
        hooks: &mut dyn PageHooks,
        now: i64,
        hidden: bool,
    ) {
        self.fold_scroll(shell);
        if cfg!(feature = "full") {
            let coalesced = shell.take_activity();
            self.activity.visibility(hidden, coalesced);
        }
        let page = shell.page_facts();
        let mut out = core::mem::take(&mut self.tracked);
        self.tracker.visibility(shell, hidden, &page, &mut Sink { events: &mut out, hooks });
        self.deliver(shell, out);
        self.delivery.visibility_changed(now, hidden);
    }

    /// Folds the document's scroll since the last time into the current screen's summary.
    fn fold_scroll<S: Shell<Wire = W>>(&mut self, shell: &mut S) {
        // A document whose content fits its view does not scroll (an app drawing into a canvas,
        // as Flutter's, reports its own scrolls).
        if let Some(scroll) = shell.take_scroll().filter(DocumentScroll::scrolls) {
            for extreme in scroll.extremes() {
                self.tracker.document_scroll(extreme);
            }
        }
    }

    /// Hands tracked events to delivery, in order (the buffer is kept for the next input). When
    /// the opt-out cookie stopped an event, the events still waiting are dropped too.
    fn deliver<S: Shell<Wire = W>>(&mut self, shell: &mut S, mut out: Vec<Tracked>) {
        let now = shell.now_ms();
        if self.tracker.take_opt_out() {
            self.delivery.drop_waiting();
        }
        // In order, keeping the buffer for the next input (popping from the end: no `Drain`).
        out.reverse();
        while let Some(tracked) = out.pop() {
            if let Some(update) = tracked.session_update {
                self.effects.push_back(Effect::SessionUpdate(update));
            }
            let wire = shell.wire(&tracked.wire);
            self.delivery.track(now, tracked.event_id, wire, tracked.anonymous);
        }
        self.tracked = out;
    }

    /// Turns activity tracking's actions into effects; a ping is tracked at once (and may
    /// restart the checks, hence the loop).
    fn activity_actions<S: Shell<Wire = W>>(&mut self, shell: &mut S, hooks: &mut dyn PageHooks) {
        while cfg!(feature = "full") && !self.activity_out.is_empty() {
            for action in core::mem::take(&mut self.activity_out) {
                match action {
                    ActivityAction::Listen => self.effects.push_back(Effect::WatchActivity),
                    ActivityAction::Arm { which, after_ms } => {
                        self.effects.push_back(Effect::Arm { timer: Timer::Activity(which), after_ms })
                    }
                    ActivityAction::Cancel(which) => {
                        self.effects.push_back(Effect::Cancel(Timer::Activity(which)))
                    }
                    ActivityAction::Fire { which: Which::Ping, extents, metrics } => {
                        let context = metrics.and_then(activity_metrics_entity).into_iter().collect();
                        self.track(
                            shell,
                            hooks,
                            Event::PagePing(extents),
                            TrackOptions { context, timestamp: None },
                        )
                    }
                    ActivityAction::Fire { which: Which::Callback, extents, metrics } => {
                        if let Some(callback) = self.activity_callback {
                            let page_view_id =
                                self.tracker.page_state().page_view_id(|| shell.new_uuid()).to_owned();
                            self.effects.push_back(Effect::ActivityCallback {
                                callback,
                                page_view_id,
                                extents,
                                metrics: metrics.map(|m| m.to_json()),
                            });
                        }
                    }
                }
            }
        }
    }
}
