//! Cross-domain linking's rules on the fake browser ([`snowtrack::engine::sim`]): which clicks
//! decorate their link (the page's linker answered), the `_sp` value the engine gives it, plain
//! and extended (the fields picked, base64url, trailing dots trimmed), and what an anonymous
//! tracker puts there. The browser side only reports the linker's answer, the `href` and the
//! reason text; the `href` to set comes back as [`snowtrack::engine::Effect::Decorate`].
#![cfg(not(target_arch = "wasm32"))]
#![cfg(feature = "full")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use snowtrack::engine::config::{AnonymousTracking, Config};
use snowtrack::engine::cross_domain::ExtendedFields;
use snowtrack::engine::event::{Event, TrackOptions};
use snowtrack::engine::sim::Browser;
use snowtrack::engine::{Input, Setting};

const T0: i64 = 1_700_000_000_000;

fn config(extended: Option<ExtendedFields>) -> Config {
    let mut config = Config::new("sp", "https://collector.example");
    config.app_id = "shop".into();
    config.cross_domain_extended = extended;
    config
}

fn click(accepted: bool, href: &str, reason: Option<&str>) -> Input {
    Input::CrossDomainLink { accepted, href: href.into(), reason: reason.map(Into::into) }
}

/// The `_sp` value of a decorated `href`.
fn sp(href: &str) -> String {
    let query = href.split_once('?').unwrap().1.split('#').next().unwrap();
    query.split('&').find_map(|p| p.strip_prefix("_sp=")).unwrap().to_owned()
}

fn identity(b: &mut Browser, page: usize) -> (String, String) {
    let state = b.engine(page).unwrap().tracker.state().clone();
    (state.domain_user_id, state.session_id)
}

#[test]
fn a_link_the_linker_accepts_gets_duid_dot_ms() {
    let mut b = Browser::new(T0);
    let page = b.open(config(None));
    b.input(page, Input::Track { event: Event::PageView { title: None }, options: TrackOptions::default() });
    let (duid, _) = identity(&mut b, page);
    b.now += 1234;
    let events = b.input(page, click(true, "https://checkout.example/pay?x=1#top", None));
    assert!(events.is_empty(), "decorating tracks nothing");
    let decorated = &b.pages[page].decorated;
    assert_eq!(decorated.len(), 1);
    let expected = format!("https://checkout.example/pay?_sp={duid}.{}&x=1#top", T0 + 1234);
    assert_eq!(decorated[0], expected);
}

#[test]
fn a_link_the_linker_refuses_or_a_script_link_is_left_alone() {
    let mut b = Browser::new(T0);
    let page = b.open(config(None));
    b.input(page, click(false, "https://checkout.example/", None));
    b.input(page, click(true, "javascript:go()", None));
    b.input(page, click(true, "", None));
    assert!(b.pages[page].decorated.is_empty());
}

#[test]
fn a_second_click_replaces_the_sp_parameter() {
    let mut b = Browser::new(T0);
    let page = b.open(config(None));
    let (duid, _) = identity(&mut b, page);
    b.input(page, click(true, "https://checkout.example/?a=1&_sp=old.1&b=2", None));
    assert_eq!(b.pages[page].decorated[0], format!("https://checkout.example/?a=1&_sp={duid}.{T0}&b=2"));
}

#[test]
fn extended_true_carries_the_session_and_app_id() {
    let mut b = Browser::new(T0);
    let page = b.open(config(Some(ExtendedFields::default())));
    b.input(page, Input::Set(Setting::UserId(Some("alice".into()))));
    let (duid, sid) = identity(&mut b, page);
    b.input(page, click(true, "https://checkout.example/", None));
    // The JS tracker's default: duid, ms, sid, no user id, base64url("shop").
    assert_eq!(sp(&b.pages[page].decorated[0]), format!("{duid}.{T0}.{sid}..c2hvcA"));
}

#[test]
fn extended_object_picks_each_field_in_enrichs_order() {
    let all = ExtendedFields {
        user_id: true,
        session_id: true,
        source_id: true,
        source_platform: true,
        reason: true,
    };
    let mut b = Browser::new(T0);
    let page = b.open(config(Some(all)));
    b.input(page, Input::Set(Setting::UserId(Some("alice@example.com".into()))));
    let (duid, sid) = identity(&mut b, page);
    b.input(page, click(true, "https://checkout.example/", Some("Pay now ✓")));
    let value = sp(&b.pages[page].decorated[0]);
    let fields: Vec<&str> = value.split('.').collect();
    // base64url without padding of the UTF-8 bytes.
    assert_eq!(
        fields,
        [&duid, &*T0.to_string(), &sid, "YWxpY2VAZXhhbXBsZS5jb20", "c2hvcA", "web", "UGF5IG5vdyDinJM"]
    );

    let only_user =
        ExtendedFields { user_id: true, session_id: false, source_id: false, ..ExtendedFields::default() };
    let mut b = Browser::new(T0);
    let page = b.open(config(Some(only_user)));
    let (duid, _) = identity(&mut b, page);
    b.input(page, click(true, "https://checkout.example/", None));
    // No user id set: every field after the timestamp is empty, and trimmed.
    assert_eq!(sp(&b.pages[page].decorated[0]), format!("{duid}.{T0}"));
}

#[test]
fn while_anonymous_links_carry_no_duid_nor_user_id() {
    let all = ExtendedFields { user_id: true, ..ExtendedFields::default() };
    let mut c = config(Some(all));
    c.anonymous = Some(AnonymousTracking::default());
    let mut b = Browser::new(T0);
    let page = b.open(c);
    b.input(page, Input::Set(Setting::UserId(Some("alice".into()))));
    let (_, sid) = identity(&mut b, page);
    b.input(page, click(true, "https://checkout.example/", None));
    assert_eq!(sp(&b.pages[page].decorated[0]), format!(".{T0}.{sid}..c2hvcA"));

    let mut c = config(None);
    c.anonymous = Some(AnonymousTracking::default());
    let page = b.open(c);
    b.input(page, click(true, "https://checkout.example/", None));
    assert_eq!(sp(&b.pages[page].decorated[0]), format!(".{T0}"));
}

#[test]
fn after_disabling_anonymous_tracking_links_carry_the_duid_again() {
    let mut c = config(None);
    c.anonymous = Some(AnonymousTracking::default());
    let mut b = Browser::new(T0);
    let page = b.open(c);
    b.input(page, Input::Set(Setting::Identified { state_storage: None }));
    let (duid, _) = identity(&mut b, page);
    assert!(!duid.is_empty());
    b.input(page, click(true, "https://checkout.example/", None));
    assert_eq!(sp(&b.pages[page].decorated[0]), format!("{duid}.{T0}"));
}
