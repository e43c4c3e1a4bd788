//! The privacy and extensibility input: `anonymousTracking` and the other privacy options,
//! `enableAnonymousTracking`'s and `clearUserData`'s arguments, global contexts
//! (`addGlobalContexts`, `removeGlobalContexts`), plugins, and what the page's generators and
//! plugins answer as entities. Read by name and checked here, with the track calls' readers.

use super::{Input, Reader, is_object, read_answer, self_describing_json, truthy};
use crate::engine::config::{AnonymousTracking, Config, StateStorage};
use crate::engine::contexts::{Condition, GlobalContext, Handle, Primitive, RuleSet, invalid_rule};
use crate::engine::util::json_value::{Json, key_text};
use crate::engine::util::text::{concat, int};
use crate::error::{Error, Result};
#[allow(unused_imports)]
use crate::prelude::*;
use js_sys::Function;
use wasm_bindgen::prelude::*;

names! {
    ANONYMOUS_TRACKING = "anonymousTracking",
    WITH_SESSION_TRACKING = "withSessionTracking",
    WITH_SERVER_ANONYMISATION = "withServerAnonymisation",
    RESPECT_DO_NOT_TRACK = "respectDoNotTrack",
    RESPECT_GLOBAL_PRIVACY_CONTROL = "respectGlobalPrivacyControl",
    RESPECT_OPT_OUT_COOKIE = "respectOptOutCookie",
    CROSS_DOMAIN_LINKER = "crossDomainLinker",
    USE_EXTENDED_CROSS_DOMAIN_LINKER = "useExtendedCrossDomainLinker",
    OPTIONS = "options",
    STATE_STORAGE_STRATEGY = "stateStorageStrategy",
    PRESERVE_SESSION = "preserveSession",
    PRESERVE_USER = "preserveUser",
    ACCEPT = "accept",
    REJECT = "reject",
    PLUGIN = "plugin",
    PLUGINS = "plugins",
}

/// Gives a page function (generator or filter) its handle.
pub type Register<'a> = &'a dyn Fn(&Function) -> Handle;

/// Anonymous tracking's settings under `field`: `true`, `false`, or `{withSessionTracking,
/// withServerAnonymisation}`.
fn anonymous<'a>(r: &mut Reader<'a>, field: &str, value: Json<'a>) -> Option<AnonymousTracking> {
    if let Some(on) = value.as_bool() {
        return on.then_some(AnonymousTracking::default());
    }
    if !is_object(&value) {
        r.fail(field, "must be a boolean or an object");
        return None;
    }
    let prefix = concat(&[field, "."]);
    let mut a = Reader::new(r.input(value), &prefix, r.options);
    let settings = AnonymousTracking {
        with_session_tracking: a.boolean(&WITH_SESSION_TRACKING).unwrap_or(false),
        with_server_anonymisation: a.boolean(&WITH_SERVER_ANONYMISATION).unwrap_or(false),
    };
    if let Err(err) = a.finish() {
        r.error.get_or_insert(err);
    }
    Some(settings)
}

/// `newTracker`'s privacy options: `anonymousTracking`, `respectDoNotTrack`,
/// `respectGlobalPrivacyControl`, `respectOptOutCookie` (the opt-out cookie's name).
pub(super) fn read_options(o: &mut Reader<'_>, config: &mut Config) {
    if !cfg!(feature = "full") {
        // The core build: an option that asks for one of these (anything but false, an empty
        // string or list, null or undefined) is an error naming it.
        let keys = [
            &ANONYMOUS_TRACKING,
            &RESPECT_DO_NOT_TRACK,
            &RESPECT_GLOBAL_PRIVACY_CONTROL,
            &RESPECT_OPT_OUT_COOKIE,
            &PLUGINS,
            &CROSS_DOMAIN_LINKER,
            &USE_EXTENDED_CROSS_DOMAIN_LINKER,
            &super::PRESERVE_PAGE_VIEW_ID_FOR_URL,
            &super::PRESERVE_ORIGINAL_REFERRER,
            &super::CUSTOM_FETCH,
            &super::COOKIE_EXTENSION_SERVICE,
            &super::ID_SERVICE,
        ];
        for key in keys {
            let asks = |v: Json<'_>| truthy(&v) && v.items().is_none_or(|mut items| items.next().is_some());
            if o.value(key).is_some_and(asks) {
                o.fail(key.name(), super::NOT_IN_CORE);
            }
        }
        return;
    }
    if let Some(value) = o.value(&ANONYMOUS_TRACKING) {
        config.anonymous = anonymous(o, ANONYMOUS_TRACKING.name(), value);
    }
    config.respect_do_not_track = o.boolean(&RESPECT_DO_NOT_TRACK).unwrap_or(false);
    config.respect_global_privacy_control = o.boolean(&RESPECT_GLOBAL_PRIVACY_CONTROL).unwrap_or(false);
    config.opt_out_cookie = o.string(&RESPECT_OPT_OUT_COOKIE).filter(|name| !name.is_empty());
}

/// `enableAnonymousTracking({options, stateStorageStrategy})`: the settings (anonymous
/// without session tracking by default) and the strategy to switch to, if given.
pub fn enable_anonymous(value: Input<'_>) -> Result<(AnonymousTracking, Option<StateStorage>)> {
    let mut r = Reader::new(value, "enableAnonymousTracking.", false);
    let settings = match r.value(&OPTIONS) {
        Some(options) => anonymous(&mut r, "enableAnonymousTracking.options", options).unwrap_or_default(),
        None => AnonymousTracking::default(),
    };
    let strategy = strategy(&mut r);
    r.finish()?;
    Ok((settings, strategy))
}

/// `disableAnonymousTracking({stateStorageStrategy})`: the strategy to switch to, if given.
pub fn disable_anonymous(value: Input<'_>) -> Result<Option<StateStorage>> {
    let mut r = Reader::new(value, "disableAnonymousTracking.", false);
    let strategy = strategy(&mut r);
    r.finish()?;
    Ok(strategy)
}

fn strategy(r: &mut Reader<'_>) -> Option<StateStorage> {
    let strategies = "'cookieAndLocalStorage', 'cookie', 'localStorage', 'none'";
    r.one_of(&STATE_STORAGE_STRATEGY, StateStorage::parse, strategies)
}

/// `clearUserData({preserveSession, preserveUser})`.
pub fn clear_user_data(value: Input<'_>) -> Result<(bool, bool)> {
    let mut r = Reader::new(value, "clearUserData.", false);
    let kept = (r.boolean(&PRESERVE_SESSION).unwrap_or(false), r.boolean(&PRESERVE_USER).unwrap_or(false));
    r.finish()?;
    Ok(kept)
}

/// What a generator or a plugin answered as entities: `undefined`/`null` (none), one
/// self-describing JSON, or an array of them (all valid). `Err` says why not.
pub fn entities(value: &JsValue) -> core::result::Result<Vec<String>, String> {
    if value.is_null_or_undefined() {
        return Ok(Vec::new());
    }
    let read = read_answer(value, "entity", |input| {
        let mut r = Reader::new(input, "", false);
        let mut out = Vec::new();
        if let Some(items) = input.value.items() {
            for (i, item) in items.enumerate() {
                let field = concat(&["[", &int(i as i64), "]"]);
                match self_describing_json(&mut r, &field, Some(item)) {
                    Some(entity) => out.push(entity.to_json()),
                    None => break,
                }
            }
        } else if let Some(entity) = self_describing_json(&mut r, "entity", Some(input.value)) {
            out.push(entity.to_json());
        }
        r.finish()?;
        Ok(out)
    });
    read.map_err(|err| err.message())
}

/// A generator or filter, by handle: a function of at most one parameter (as the JS tracker
/// accepts).
fn page_function(r: &mut Reader<'_>, field: &str, value: Json<'_>, register: Register<'_>) -> Option<Handle> {
    let f: Function = r.page_object(value).dyn_into().ok()?;
    if f.length() > 1 {
        r.fail(field, "must be a function of one parameter ({event, eventType, eventSchema})");
        return None;
    }
    Some(register(&f))
}

/// An entity or a generator.
fn primitive<'a>(
    r: &mut Reader<'a>,
    field: &str,
    value: Json<'a>,
    register: Register<'_>,
) -> Option<Primitive> {
    if r.is_function(value) {
        return page_function(r, field, value, register).map(Primitive::Generator);
    }
    if value.items().is_some() {
        r.fail(field, "must be an entity or a generator (a nested array is not)");
        return None;
    }
    self_describing_json(r, field, Some(value)).map(|entity| Primitive::Entity(entity.to_json()))
}

/// The items of `value` when it is an array, else `value` alone (the API takes one or a list).
fn one_or_many(value: Json<'_>) -> Vec<Json<'_>> {
    value.items().map_or_else(|| vec![value], Iterator::collect)
}

/// A ruleset's `accept` or `reject`: one rule or an array of them.
fn rules(r: &mut Reader<'_>, field: &str, value: Option<Json<'_>>) -> Vec<String> {
    let Some(value) = value else { return Vec::new() };
    let mut out = Vec::new();
    let items = one_or_many(value);
    for item in items {
        match item.as_str() {
            Some(rule) => out.push(rule.into_owned()),
            None => {
                r.fail(field, "must be a rule (a string) or an array of rules");
                break;
            }
        }
    }
    out
}

/// A ruleset `{accept, reject}`, every rule a valid Iglu schema glob.
fn rule_set<'a>(r: &mut Reader<'a>, field: &str, value: Json<'a>) -> Option<RuleSet> {
    let prefix = concat(&[field, "."]);
    let mut s = Reader::new(r.input(value), &prefix, false);
    let accept = s.value(&ACCEPT);
    let reject = s.value(&REJECT);
    let rules = RuleSet {
        accept: rules(&mut s, &concat(&[&prefix, ACCEPT.name()]), accept),
        reject: rules(&mut s, &concat(&[&prefix, REJECT.name()]), reject),
    };
    if let Err(err) = s.finish() {
        r.error.get_or_insert(err);
        return None;
    }
    if rules.accept.is_empty() && rules.reject.is_empty() {
        r.fail(field, "must have accept or reject rules");
        return None;
    }
    if let Some(bad) = rules.accept.iter().chain(&rules.reject).find(|rule| !RuleSet::rule_is_valid(rule)) {
        r.fail(field, &invalid_rule(bad));
        return None;
    }
    Some(rules)
}

/// One global context: an entity, a generator, or `[ruleset | filter, primitive | primitives]`.
fn context<'a>(
    r: &mut Reader<'a>,
    field: &str,
    value: Json<'a>,
    register: Register<'_>,
) -> Option<GlobalContext> {
    let Some(pair) = value.items() else {
        return primitive(r, field, value, register).map(GlobalContext::Primitive);
    };
    let pair: Vec<Json<'a>> = pair.collect();
    let [first, second] = pair[..] else {
        r.fail(field, "must be [ruleset or filter, contexts] (two items)");
        return None;
    };
    let condition_field = concat(&[field, "[0]"]);
    let condition = if r.is_function(first) {
        Condition::Filter(page_function(r, &condition_field, first, register)?)
    } else if first.is_object() {
        Condition::RuleSet(rule_set(r, &condition_field, first)?)
    } else {
        r.fail(&condition_field, "must be a ruleset {accept, reject} or a filter function");
        return None;
    };
    let items = one_or_many(second);
    let mut primitives = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item_field = concat(&[field, "[1][", &int(i as i64), "]"]);
        primitives.push(primitive(r, &item_field, *item, register)?);
    }
    Some(GlobalContext::Conditional(condition, primitives))
}

/// `addGlobalContexts(list | {name: context})`: the contexts, with their names.
pub fn global_contexts(
    value: Input<'_>,
    register: Register<'_>,
) -> Result<Vec<(Option<String>, GlobalContext)>> {
    let mut r = Reader::new(value, "", false);
    let mut out = Vec::new();
    if let Some(items) = value.value.items() {
        for (i, item) in items.enumerate() {
            let field = concat(&["addGlobalContexts[", &int(i as i64), "]"]);
            match context(&mut r, &field, item, register) {
                Some(c) => out.push((None, c)),
                None => break,
            }
        }
    } else if let Some(members) = value.value.members() {
        for (name, item) in members {
            let name = key_text(name);
            let field = concat(&["addGlobalContexts.", &name]);
            match context(&mut r, &field, item, register) {
                Some(c) => out.push((Some(name.into_owned()), c)),
                None => break,
            }
        }
    } else {
        r.fail("addGlobalContexts", "must be an array of contexts or an object of named contexts");
    }
    r.finish()?;
    Ok(out)
}

/// `removeGlobalContexts(list)`: names (strings), and unnamed contexts to remove.
pub fn removed_contexts(
    value: Input<'_>,
    register: Register<'_>,
) -> Result<(Vec<String>, Vec<GlobalContext>)> {
    let Some(items) = value.value.items() else {
        return Err(Error::event("removeGlobalContexts", "must be an array of names or contexts"));
    };
    let mut r = Reader::new(value, "", false);
    let (mut names, mut contexts) = (Vec::new(), Vec::new());
    for (i, item) in items.enumerate() {
        if let Some(name) = item.as_str() {
            names.push(name.into_owned());
            continue;
        }
        let field = concat(&["removeGlobalContexts[", &int(i as i64), "]"]);
        match context(&mut r, &field, item, register) {
            Some(c) => contexts.push(c),
            None => break,
        }
    }
    r.finish()?;
    Ok((names, contexts))
}

/// `addPlugin({plugin})`: the plugin object.
pub fn plugin(value: Input<'_>) -> Result<JsValue> {
    let mut r = Reader::new(value, "addPlugin.", false);
    let plugin = r.value(&PLUGIN).map(|v| r.page_object(v));
    match &plugin {
        None => r.fail(PLUGIN.name(), "is required"),
        Some(plugin) if !plugin.is_object() => r.fail(PLUGIN.name(), "must be an object (the plugin)"),
        Some(_) => {}
    }
    r.finish()?;
    Ok(plugin.unwrap_or(JsValue::UNDEFINED))
}

/// `newTracker`'s `plugins`: an array of plugin objects.
pub fn plugins(options: Input<'_>) -> Result<Vec<JsValue>> {
    if !cfg!(feature = "full") {
        return Ok(Vec::new()); // none: `read_options` turned down any in the core build
    }
    let mut o = Reader::new(options, "", true);
    let list = o.checked(&PLUGINS, |v| v.items().is_some(), "must be an array of plugins");
    o.finish()?;
    let Some(list) = list.and_then(|l| l.items()) else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for (i, plugin) in list.enumerate() {
        let plugin = options.page_object(plugin);
        if !plugin.is_object() {
            return Err(Error::config(concat(&["plugins[", &int(i as i64), "]"]), "must be an object"));
        }
        out.push(plugin);
    }
    Ok(out)
}
