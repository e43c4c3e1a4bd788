//! Host tests of the privacy rules: anonymous tracking and its runtime switches (what each event
//! carries, what storage holds after each step, requests never mixing modes), `clearUserData`,
//! the opt-out cookie, Do Not Track and Global Privacy Control, global contexts and plugins.
//! Every event goes through the core's delivery and the collector's Iglu validation.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

mod common;
use common::*;

use serde_json::Value;
use snowtrack::engine::config::{AnonymousTracking, StateStorage};
use snowtrack::engine::contexts::{
    Additions, Condition, ContextHost, EventKind, GlobalContext, Handle, PageHooks, Primitive, RuleSet,
};
use snowtrack::engine::env::MemoryEnv;
use snowtrack::engine::event::{Event, TrackOptions};
use snowtrack::engine::facts::BrowserInfo;
use snowtrack::engine::id_cookie::NIL_UUID;
use snowtrack::engine::tracker::Tracker;

const ANONYMOUS: AnonymousTracking =
    AnonymousTracking { with_session_tracking: false, with_server_anonymisation: false };
const WITH_SESSION: AnonymousTracking =
    AnonymousTracking { with_session_tracking: true, with_server_anonymisation: false };
const SERVER: AnonymousTracking =
    AnonymousTracking { with_session_tracking: false, with_server_anonymisation: true };

/// The id and session cookies' values.
fn cookies(t: &Tracker, env: &MemoryEnv) -> (Option<String>, Option<String>) {
    let (id, ses) = t.storage_keys();
    (env.cookie(id).map(str::to_owned), env.cookie(ses).map(str::to_owned))
}

fn client_session(event: &Value) -> &Value {
    entity(event, "client_session").expect("client_session")
}

/// Asserts an event carries no user identifier, and a nil-user `client_session`.
fn assert_anonymous(e: &Value) {
    assert!(e["domain_userid"].is_null(), "duid: {}", e["domain_userid"]);
    assert!(e["user_id"].is_null(), "uid: {}", e["user_id"]);
    assert!(e["network_userid"].is_null());
    let cs = client_session(e);
    assert_eq!(cs["userId"], NIL_UUID);
    assert!(cs["previousSessionId"].is_null());
}

#[test]
fn anonymous_tracking_sends_no_identifiers_and_stores_nothing() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |c| c.anonymous = Some(ANONYMOUS));
    t.set_user_id(Some("user@example.com".into()));
    page_view(&mut t, &mut env);
    env.now += 1000;
    page_view(&mut t, &mut env);
    assert!(env.cookies.is_empty(), "no cookie written: {:?}", env.cookies);
    assert!(env.storage.is_empty(), "nothing in localStorage: {:?}", env.storage);
    let requests = drain_requests(&mut t, &mut env);
    assert!(requests.iter().all(|(anonymous, _)| !anonymous), "no SP-Anonymous without server anonymisation");
    let events: Vec<Value> = requests.into_iter().flat_map(|(_, e)| e).collect();
    assert_eq!(events.len(), 2);
    for e in &events {
        assert_anonymous(e);
        assert!(e["domain_sessionid"].is_null() && e["domain_sessionidx"].is_null(), "no sid/vid");
    }
    assert_eq!(client_session(&events[1])["eventIndex"], 2, "the page's session counts its events");
}

#[test]
fn anonymous_session_tracking_keeps_the_session_in_the_session_cookie_only() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |c| c.anonymous = Some(WITH_SESSION));
    page_view(&mut t, &mut env);
    let (id, ses) = cookies(&t, &env);
    assert_eq!(id, None, "no _sp_id");
    let ses = ses.expect("_sp_ses");
    assert!(ses.starts_with('.') && ses.contains(&t.state().session_id), "{ses}");
    assert!(!ses.contains(NIL_UUID));
    // A reload (a new tracker on the same cookies) goes on with the session.
    env.now += 60_000;
    let mut again = tracker(&mut env, |c| c.anonymous = Some(WITH_SESSION));
    page_view(&mut again, &mut env);
    assert_eq!(again.state().session_id, t.state().session_id);
    // After the timeout, a new session with the next index.
    env.now += 31 * 60_000;
    page_view(&mut again, &mut env);
    let events = drain(&mut again, &mut env);
    assert_eq!(events.len(), 3);
    for e in &events {
        assert_anonymous(e);
    }
    assert_eq!(events[0]["domain_sessionid"], events[1]["domain_sessionid"]);
    assert_eq!(client_session(&events[1])["eventIndex"], 2);
    assert_eq!(events[2]["domain_sessionidx"], 2);
    assert_ne!(events[2]["domain_sessionid"], events[1]["domain_sessionid"]);
    assert_eq!(cookies(&again, &env).0, None, "still no _sp_id");
}

#[test]
fn switching_modes_takes_effect_from_the_next_event_and_never_mixes_requests() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |_| {});
    page_view(&mut t, &mut env);
    let duid = t.state().domain_user_id.clone();
    let id_before = cookies(&t, &env).0.expect("_sp_id");

    // Anonymous with server anonymisation: the old _sp_id stays, untouched.
    t.enable_anonymous(&mut env, SERVER);
    env.now += 1000;
    page_view(&mut t, &mut env);
    page_view(&mut t, &mut env);
    assert_eq!(cookies(&t, &env).0.as_deref(), Some(id_before.as_str()), "_sp_id kept as it was");

    // Back to identified: the stored identity goes on.
    t.disable_anonymous(&mut env);
    env.now += 1000;
    page_view(&mut t, &mut env);
    assert_eq!(t.state().domain_user_id, duid);

    let requests = drain_requests(&mut t, &mut env);
    let modes: Vec<(bool, usize)> = requests.iter().map(|(a, e)| (*a, e.len())).collect();
    assert_eq!(modes, [(false, 1), (true, 2), (false, 1)], "one mode per request");
    let events: Vec<&Value> = requests.iter().flat_map(|(_, e)| e).collect();
    assert_eq!(events[0]["domain_userid"], duid.as_str());
    assert_anonymous(events[1]);
    assert_anonymous(events[2]);
    let page_view_id = |e: &Value| entity(e, "web_page").unwrap()["id"].clone();
    assert_ne!(page_view_id(events[1]), page_view_id(events[0]), "a new page view id when the session goes");
    assert_eq!(events[3]["domain_userid"], duid.as_str());
}

#[test]
fn consent_after_anonymous_start_gives_a_fresh_identity() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |c| c.anonymous = Some(SERVER));
    page_view(&mut t, &mut env);
    assert_eq!(cookies(&t, &env), (None, None));
    t.disable_anonymous(&mut env);
    let (id, ses) = cookies(&t, &env);
    let id = id.expect("_sp_id written at the switch");
    assert_eq!(ses.as_deref(), Some("*"));
    let duid = t.state().domain_user_id.clone();
    assert!(id.starts_with(&duid) && !duid.is_empty());
    page_view(&mut t, &mut env);
    let requests = drain_requests(&mut t, &mut env);
    assert_eq!(requests.iter().map(|(a, _)| *a).collect::<Vec<_>>(), [true, false]);
    assert_eq!(requests[1].1[0]["domain_userid"], duid.as_str());
    assert_eq!(client_session(&requests[1].1[0])["userId"], duid.as_str());
}

#[test]
fn a_strategy_change_at_the_switch_moves_the_session() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |c| c.anonymous = Some(WITH_SESSION));
    page_view(&mut t, &mut env);
    let sid = t.state().session_id.clone();
    t.disable_anonymous(&mut env);
    t.set_state_storage(&mut env, StateStorage::LocalStorage);
    let (id_key, _) = t.storage_keys();
    let stored = env.storage.get(id_key).expect("the identity in localStorage").clone();
    assert!(stored.contains(&sid), "the session goes on in the new store: {stored}");
    page_view(&mut t, &mut env);
    assert_eq!(t.state().session_id, sid);
    drain(&mut t, &mut env);
}

#[test]
fn clear_user_data_removes_storage_and_starts_fresh_ids() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |c| c.state_storage = StateStorage::CookieAndLocalStorage);
    t.set_user_id(Some("u1".into()));
    page_view(&mut t, &mut env);
    env.now += 31 * 60_000;
    page_view(&mut t, &mut env);
    let (duid, sid) = (t.state().domain_user_id.clone(), t.state().session_id.clone());
    assert_eq!(t.state().visit_count, 2);

    t.clear_user_data(&mut env, false, false);
    assert_eq!(cookies(&t, &env), (None, None), "cookies removed");
    assert!(env.storage.keys().all(|k| !k.starts_with("_sp_")), "{:?}", env.storage);
    page_view(&mut t, &mut env);
    assert_ne!(t.state().domain_user_id, duid);
    assert_ne!(t.state().session_id, sid);
    assert_eq!(t.state().visit_count, 1);

    let (duid, sid) = (t.state().domain_user_id.clone(), t.state().session_id.clone());
    t.set_user_id(Some("u2".into()));
    t.clear_user_data(&mut env, true, true);
    page_view(&mut t, &mut env);
    assert_eq!(
        (t.state().domain_user_id.as_str(), t.state().session_id.as_str()),
        (duid.as_str(), sid.as_str())
    );
    assert!(cookies(&t, &env).0.is_some(), "written again with the next event");

    let events = drain(&mut t, &mut env);
    assert_eq!(events[2]["user_id"], Value::Null, "the user id is cleared");
    assert!(client_session(&events[2])["previousSessionId"].is_null(), "no link to the cleared session");
    assert_eq!(events[3]["user_id"], "u2", "preserveUser keeps it");
}

#[test]
fn the_opt_out_cookie_stops_events_while_it_exists() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |c| c.opt_out_cookie = Some("no_tracking".into()));
    assert!(page_view(&mut t, &mut env).is_some());
    env.cookies.insert("no_tracking".into(), ("1".into(), None));
    assert!(page_view(&mut t, &mut env).is_none());
    assert_eq!(cookies(&t, &env), (None, None), "the identity goes, as with the JS tracker");
    assert!(t.take_opt_out(), "the page hears of it, to drop its queue");
    assert!(!t.take_opt_out());
    env.cookies.remove("no_tracking");
    assert!(page_view(&mut t, &mut env).is_some());
    t.set_opt_out_cookie(Some("other".into()));
    env.cookies.insert("no_tracking".into(), ("1".into(), None));
    assert!(page_view(&mut t, &mut env).is_some(), "only the configured cookie counts");
    assert_eq!(drain(&mut t, &mut env).len(), 3);
}

fn tracker_in(
    env: &mut MemoryEnv,
    browser: BrowserInfo,
    f: impl FnOnce(&mut snowtrack::engine::config::Config),
) -> Tracker {
    let mut config = snowtrack::engine::config::Config::new("sp", "https://collector.example.com");
    f(&mut config);
    Tracker::new(config, browser, Some("example.com".into()), false, env).unwrap()
}

#[test]
fn do_not_track_respected_means_no_events_and_no_storage() {
    let mut env = MemoryEnv::at(T0);
    let dnt = BrowserInfo { do_not_track: true, ..browser() };
    let identified = tracker_in(&mut env, browser(), |_| {});
    assert!(cookies(&identified, &env).0.is_some());
    let mut t = tracker_in(&mut env, dnt.clone(), |c| c.respect_do_not_track = true);
    assert!(page_view(&mut t, &mut env).is_none());
    assert_eq!(cookies(&t, &env), (None, None), "what was stored goes");
    assert!(env.storage.is_empty());
    let mut t = tracker_in(&mut env, dnt, |_| {});
    assert!(page_view(&mut t, &mut env).is_some(), "ignored unless respected, as in the JS tracker");
    drain(&mut t, &mut env);
}

#[test]
fn global_privacy_control_respected_means_anonymous_with_server_anonymisation() {
    let mut env = MemoryEnv::at(T0);
    let gpc = BrowserInfo { global_privacy_control: true, ..browser() };
    let mut t = tracker_in(&mut env, gpc.clone(), |c| c.respect_global_privacy_control = true);
    assert_eq!(t.anonymous(), Some(SERVER));
    page_view(&mut t, &mut env);
    assert_eq!(cookies(&t, &env), (None, None));
    let requests = drain_requests(&mut t, &mut env);
    assert!(requests[0].0, "SP-Anonymous");
    assert_anonymous(&requests[0].1[0]);
    let t = tracker_in(&mut env, gpc, |_| {});
    assert_eq!(t.anonymous(), None, "not respected: identified");
}

/// Page code for the tests: generators by handle, a filter, and one plugin.
#[derive(Default)]
struct Page {
    generated: Vec<(Handle, String, String)>,
    plugin: bool,
    filter_out_structured: bool,
    tracked: Vec<String>,
}

impl ContextHost for Page {
    fn generate(&mut self, handle: Handle, event: EventKind<'_>) -> Vec<String> {
        self.generated.push((handle, event.event_type.into(), event.event_schema.into()));
        let fields: Value = serde_json::from_str(event.event).expect("the event's fields");
        assert_eq!(fields["e"], event.event_type);
        assert!(fields["co"].is_null(), "without its entities");
        match handle {
            1 => vec![format!(
                r#"{{"schema":"iglu:com.snowplowanalytics.mobile/application/jsonschema/1-0-0","data":{{"version":"{}","build":"1"}}}}"#,
                event.event_type
            )],
            _ => Vec::new(), // threw: the host warned, the context is left out
        }
    }
    fn filter(&mut self, _: Handle, event: EventKind<'_>) -> bool {
        event.event_type == "pv"
    }
}

impl PageHooks for Page {
    fn has_plugins(&self) -> bool {
        self.plugin
    }
    fn plugin_contexts(&mut self) -> Vec<String> {
        vec![DOC.into()]
    }
    fn before_track(&mut self, payload: &str) -> Additions {
        let view: Value = serde_json::from_str(payload).unwrap();
        assert!(view["eid"].is_string() && view["co"].is_string(), "{payload}");
        Additions { fields: vec![("tna".into(), "renamed".into())], entities: Vec::new() }
    }
    fn keep(&mut self, payload: &str) -> bool {
        !(self.filter_out_structured && payload.contains("\"e\":\"se\""))
    }
    fn after_track(&mut self, payload: &str) {
        self.tracked.push(payload.into());
    }
}

const DOC: &str = r#"{"schema":"iglu:com.snowplowanalytics.snowplow/consent_document/jsonschema/1-0-0","data":{"id":"terms","version":"2"}}"#;
const LINK: &str = "iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1";
const TIMING: &str = r#"{"schema":"iglu:com.snowplowanalytics.snowplow/timing/jsonschema/1-0-0","data":{"category":"c","variable":"v","timing":1}}"#;

fn link_click(t: &mut Tracker, env: &mut MemoryEnv, page: &mut Page) {
    let link = sdj(LINK, r#"{"targetUrl":"https://a.example/"}"#);
    track_with(t, env, Event::SelfDescribing(link), TrackOptions::default(), page);
}

fn structured(t: &mut Tracker, env: &mut MemoryEnv, page: &mut Page) {
    let se = snowtrack::engine::event::StructEvent {
        category: "c".into(),
        action: "a".into(),
        ..Default::default()
    };
    track_with(t, env, Event::Struct(se), TrackOptions::default(), page);
}

fn schemas(event: &Value) -> Vec<String> {
    event["contexts"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["schema"].as_str().unwrap().split('/').nth(1).unwrap().to_owned())
        .collect()
}

#[test]
fn global_contexts_attach_exactly_where_their_rules_say() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |c| c.lifecycle_autotracking = false);
    let accept_links = RuleSet {
        accept: vec!["iglu:com.snowplowanalytics.snowplow/link_*/jsonschema/1-*-*".into()],
        reject: vec![],
    };
    assert!(!accept_links.is_valid(), "a partial name glob is not a rule");
    let accept_links = RuleSet {
        accept: vec!["iglu:com.snowplowanalytics.snowplow/*/jsonschema/1-*-*".into()],
        reject: vec![],
    };
    let reject_links =
        RuleSet { accept: vec![], reject: vec![format!("{}", LINK.replace("1-0-1", "*-*-*"))] };
    let contexts = t.contexts_mut();
    contexts.add(None, GlobalContext::Primitive(Primitive::Entity(TIMING.into())));
    contexts.add(Some("device".into()), GlobalContext::Primitive(Primitive::Generator(1)));
    contexts.add(None, GlobalContext::Primitive(Primitive::Generator(2)));
    contexts.add(
        None,
        GlobalContext::Conditional(Condition::RuleSet(accept_links), vec![Primitive::Entity(DOC.into())]),
    );
    contexts.add(
        Some("pv-only".into()),
        GlobalContext::Conditional(Condition::Filter(3), vec![Primitive::Entity(DOC.into())]),
    );
    contexts.add(
        None,
        GlobalContext::Conditional(Condition::RuleSet(reject_links), vec![Primitive::Entity(DOC.into())]),
    );
    let mut page = Page::default();
    track_with(&mut t, &mut env, Event::PageView { title: None }, TrackOptions::default(), &mut page);
    link_click(&mut t, &mut env, &mut page);
    structured(&mut t, &mut env, &mut page);
    let events = drain(&mut t, &mut env);
    assert_eq!(
        schemas(&events[0]),
        ["web_page", "timing", "application", "consent_document", "client_session"]
    );
    assert_eq!(
        schemas(&events[1]),
        ["web_page", "timing", "application", "consent_document", "client_session"]
    );
    assert_eq!(schemas(&events[2]), ["web_page", "timing", "application", "client_session"]);
    assert_eq!(entity(&events[1], "application").unwrap()["version"], "ue", "the generator saw the event");
    let seen: Vec<(Handle, String, String)> = page.generated.iter().filter(|g| g.0 == 1).cloned().collect();
    assert_eq!(seen[1], (1, "ue".into(), LINK.into()));
    assert_eq!(seen[0], (1, "pv".into(), String::new()));

    t.contexts_mut().remove_named("device");
    t.contexts_mut().remove(&GlobalContext::Primitive(Primitive::Entity(TIMING.into())));
    structured(&mut t, &mut env, &mut page);
    t.contexts_mut().clear();
    link_click(&mut t, &mut env, &mut page);
    let events = drain(&mut t, &mut env);
    assert_eq!(schemas(&events[0]), ["web_page", "client_session"]);
    assert_eq!(schemas(&events[1]), ["web_page", "client_session"]);
}

#[test]
fn plugins_add_to_filter_and_see_every_event() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |c| c.lifecycle_autotracking = false);
    let mut page = Page { plugin: true, filter_out_structured: true, ..Page::default() };
    track_with(&mut t, &mut env, Event::PageView { title: None }, TrackOptions::default(), &mut page);
    let index = t.state().event_index;
    structured(&mut t, &mut env, &mut page);
    assert_eq!(t.state().event_index, index + 1, "a filtered event still counts, as in the JS tracker");
    assert_eq!(t.filtered(), 1);
    link_click(&mut t, &mut env, &mut page);
    let events = drain(&mut t, &mut env);
    assert_eq!(events.len(), 2);
    for e in &events {
        assert_eq!(e["name_tracker"], "renamed", "beforeTrack's field");
        assert!(schemas(e).contains(&"consent_document".to_owned()), "the plugin's contexts()");
    }
    assert_eq!(client_session(&events[1])["eventIndex"], 3);
    assert_eq!(page.tracked.len(), 2, "afterTrack once per event that was kept");
    assert!(page.tracked[1].contains("\"tna\":\"renamed\""));
}
