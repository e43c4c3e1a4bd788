//! Global contexts: entities the page attaches to every event, or to the events a rule selects
//! (`addGlobalContexts`, `removeGlobalContexts`, `clearGlobalContexts`), as the JS tracker
//! defines them.
//!
//! A context is an entity, a generator (a page function called per event), or a conditional:
//! `[ruleset | filter, contexts]`. Rulesets of Iglu schema globs are matched here; generators and
//! filters are the page's functions, which the host calls through [`ContextHost`] and refers to
//! by handle. Evaluation order per event: unnamed primitives (entities, generators), named
//! primitives, unnamed conditionals, named conditionals.

use crate::engine::util::text::concat;
#[allow(unused_imports)]
use crate::prelude::*;

/// A page function (generator or filter), by the host's handle.
pub type Handle = u32;

/// What an event is, for generators, filters and rulesets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventKind<'a> {
    /// The `e` field: `pv`, `ue`, `se`, `pp`.
    pub event_type: &'a str,
    /// The self-describing event's schema (`""` for other events).
    pub event_schema: &'a str,
    /// The event's fields as a JSON object, without its entities (`""` when no page function
    /// takes part).
    pub event: &'a str,
}

/// What a plugin's `beforeTrack` added to an event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Additions {
    /// Fields (name, value).
    pub fields: Vec<(String, String)>,
    /// Entities (self-describing JSON texts).
    pub entities: Vec<String>,
}

/// The page's code that takes part in building an event: global contexts' generators and
/// filters, and plugins (`addPlugin`: `contexts`, `beforeTrack`, `filter`, `afterTrack`). A
/// plugin gets the event as the JSON object of its fields (`co` or `cx` holding the entities).
/// Whatever the page's code throws is the host's to report; the event is never lost to it.
pub trait PageHooks: ContextHost {
    /// Whether any plugin is registered (none: no per-event work here).
    fn has_plugins(&self) -> bool;
    /// The entities of the plugins' `contexts()`.
    fn plugin_contexts(&mut self) -> Vec<String>;
    /// The plugins' `beforeTrack(payload)`.
    fn before_track(&mut self, payload: &str) -> Additions;
    /// The plugins' `filter(payload)`: false (any plugin answering exactly `false`) drops it.
    fn keep(&mut self, payload: &str) -> bool;
    /// The plugins' `afterTrack(payload)`, once the event is built.
    fn after_track(&mut self, payload: &str);
}

/// No page code: global contexts of entities and rulesets only, no plugins (host tests).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoHooks;

impl ContextHost for NoHooks {
    fn generate(&mut self, _: Handle, _: EventKind<'_>) -> Vec<String> {
        Vec::new()
    }
    fn filter(&mut self, _: Handle, _: EventKind<'_>) -> bool {
        false
    }
}

impl PageHooks for NoHooks {
    fn has_plugins(&self) -> bool {
        false
    }
    fn plugin_contexts(&mut self) -> Vec<String> {
        Vec::new()
    }
    fn before_track(&mut self, _: &str) -> Additions {
        Additions::default()
    }
    fn keep(&mut self, _: &str) -> bool {
        true
    }
    fn after_track(&mut self, _: &str) {}
}

/// Calls the page's functions for an event.
pub trait ContextHost {
    /// Calls generator `handle`: the entities (self-describing JSON texts) it returned, none
    /// when it threw or returned something invalid (the host warns).
    fn generate(&mut self, handle: Handle, event: EventKind<'_>) -> Vec<String>;
    /// Calls filter `handle`: true only when it returned exactly `true`.
    fn filter(&mut self, handle: Handle, event: EventKind<'_>) -> bool;
}

/// An entity or a generator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Primitive {
    /// A self-describing JSON entity (its JSON text).
    Entity(String),
    /// A page function returning entities.
    Generator(Handle),
}

/// Iglu schema globs: attach when an `accept` rule matches and no `reject` rule does.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleSet {
    /// Rules that select events.
    pub accept: Vec<String>,
    /// Rules that exclude events.
    pub reject: Vec<String>,
}

impl RuleSet {
    /// Whether every rule is a valid glob (an invalid ruleset is dropped).
    pub fn is_valid(&self) -> bool {
        (!self.accept.is_empty() || !self.reject.is_empty())
            && self.accept.iter().chain(&self.reject).all(|rule| Rule::parse(rule).is_some())
    }

    /// Whether `rule` is a valid Iglu schema glob.
    pub fn rule_is_valid(rule: &str) -> bool {
        Rule::parse(rule).is_some()
    }

    /// Whether it selects an event with schema `schema` (never a non-self-describing event).
    pub fn matches(&self, schema: &str) -> bool {
        let any = |rules: &[String]| rules.iter().any(|r| Rule::parse(r).is_some_and(|r| r.matches(schema)));
        any(&self.accept) && !any(&self.reject)
    }
}

/// A parsed glob `iglu:<vendor>/<name>/jsonschema/<M>-<R>-<A>`.
struct Rule<'a> {
    vendor: Vec<&'a str>,
    name: &'a str,
    version: [&'a str; 3],
}

impl<'a> Rule<'a> {
    /// Parses a rule: a vendor of at least two dot-separated segments (the first two not `*`,
    /// every one after a `*` also `*`), a name or `*`, version parts numbers or `*`.
    fn parse(rule: &'a str) -> Option<Self> {
        let (vendor, name, version) = split_uri(rule)?;
        let vendor: Vec<&str> = vendor.split('.').collect();
        let segment =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        let mut wild = false;
        for (i, part) in vendor.iter().enumerate() {
            if *part == "*" {
                if i < 2 {
                    return None;
                }
                wild = true;
            } else if wild || !segment(part) {
                return None;
            }
        }
        let name_ok = name == "*"
            || (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
        let number = |n: &str, first: bool| {
            n == "*"
                || (!n.is_empty()
                    && n.len() <= 9
                    && n.bytes().all(|b| b.is_ascii_digit())
                    && !(n.len() > 1 && n.starts_with('0'))
                    && !(first && n == "0"))
        };
        let ok = vendor.len() >= 2
            && name_ok
            && number(version[0], true)
            && number(version[1], false)
            && number(version[2], false);
        ok.then_some(Rule { vendor, name, version })
    }

    /// Whether the rule selects `schema` (a full Iglu URI). As in the JS tracker, a vendor
    /// segment `*` never matches (its comparison checks the schema's segment for `*`).
    fn matches(&self, schema: &str) -> bool {
        let Some((vendor, name, version)) = split_uri(schema) else { return false };
        let vendor: Vec<&str> = vendor.split('.').collect();
        let part = |rule: &str, value: &str| rule == "*" || rule == value;
        vendor.len() == self.vendor.len()
            && self.vendor.iter().zip(&vendor).all(|(r, v)| r == v)
            && part(self.name, name)
            && self.version.iter().zip(version).all(|(r, v)| part(r, v))
    }
}

/// `iglu:vendor/name/jsonschema/M-R-A` in parts.
fn split_uri(uri: &str) -> Option<(&str, &str, [&str; 3])> {
    let mut parts = uri.strip_prefix("iglu:")?.split('/');
    let (vendor, name, format, version) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || format != "jsonschema" {
        return None;
    }
    let mut numbers = version.split('-');
    let version = [numbers.next()?, numbers.next()?, numbers.next()?];
    numbers.next().is_none().then_some((vendor, name, version))
}

/// What decides whether a conditional's contexts attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// Schema globs.
    RuleSet(RuleSet),
    /// A page function returning `true` to attach.
    Filter(Handle),
}

/// A context to add: one primitive, or a conditional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GlobalContext {
    /// Attached to every event.
    Primitive(Primitive),
    /// Attached when the condition selects the event.
    Conditional(Condition, Vec<Primitive>),
}

/// A tracker's global contexts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GlobalContexts {
    unnamed: Vec<GlobalContext>,
    named: Vec<(String, GlobalContext)>,
}

impl GlobalContexts {
    /// Whether a generator or filter is among them (the page's code then sees each event).
    pub fn has_functions(&self) -> bool {
        if !cfg!(feature = "full") {
            return false;
        }
        let function = |p: &Primitive| matches!(p, Primitive::Generator(_));
        self.unnamed.iter().chain(self.named.iter().map(|(_, c)| c)).any(|c| match c {
            GlobalContext::Primitive(p) => function(p),
            GlobalContext::Conditional(Condition::Filter(_), _) => true,
            GlobalContext::Conditional(_, ps) => ps.iter().any(function),
        })
    }

    /// Whether there are none (then events cost nothing here). Always true in the core build
    /// (no `full` feature), which compiles no global contexts in.
    pub fn is_empty(&self) -> bool {
        !cfg!(feature = "full") || (self.unnamed.is_empty() && self.named.is_empty())
    }

    /// Adds a context, under `name` when given (replacing the one of that name).
    pub fn add(&mut self, name: Option<String>, context: GlobalContext) {
        match name {
            None => self.unnamed.push(context),
            Some(name) => match self.named.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = context,
                None => self.named.push((name, context)),
            },
        }
    }

    /// Removes the context named `name`.
    pub fn remove_named(&mut self, name: &str) {
        self.named.retain(|(n, _)| n != name);
    }

    /// Removes every unnamed context equal to `context`.
    pub fn remove(&mut self, context: &GlobalContext) {
        self.unnamed.retain(|c| c != context);
    }

    /// Removes them all.
    pub fn clear(&mut self) {
        self.unnamed.clear();
        self.named.clear();
    }

    /// The entities for an event, in the JS tracker's order: primitives (unnamed, then named),
    /// then conditionals (unnamed, then named).
    pub fn entities(&self, event: EventKind<'_>, host: &mut dyn ContextHost) -> Vec<String> {
        let mut out = Vec::new();
        let all = || self.unnamed.iter().chain(self.named.iter().map(|(_, c)| c));
        fn push(p: &Primitive, event: EventKind<'_>, host: &mut dyn ContextHost, out: &mut Vec<String>) {
            match p {
                Primitive::Entity(json) => out.push(json.clone()),
                Primitive::Generator(h) => out.extend(host.generate(*h, event)),
            }
        }
        for context in all() {
            if let GlobalContext::Primitive(p) = context {
                push(p, event, host, &mut out);
            }
        }
        for context in all() {
            if let GlobalContext::Conditional(condition, primitives) = context {
                let selected = match condition {
                    Condition::RuleSet(rules) => rules.matches(event.event_schema),
                    Condition::Filter(h) => host.filter(*h, event),
                };
                if selected {
                    for p in primitives {
                        push(p, event, host, &mut out);
                    }
                }
            }
        }
        out
    }
}

/// A rule's error message (for `addGlobalContexts` input).
pub fn invalid_rule(rule: &str) -> String {
    concat(&["must be an Iglu schema glob such as iglu:com.acme/*/jsonschema/1-*-* (got \"", rule, "\")"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_validity_as_the_js_tracker_has_it() {
        for valid in [
            "iglu:com.acme/*/jsonschema/*-*-*",
            "iglu:com.acme.*.*/x/jsonschema/1-0-0",
            "iglu:com.acme/x/jsonschema/1-*-0",
            "iglu:com.acme/x/jsonschema/*-0-0",
            "iglu:com.acme/event.v2/jsonschema/1-0-0",
        ] {
            assert!(Rule::parse(valid).is_some(), "{valid}");
        }
        for invalid in [
            "iglu:*.acme/*/jsonschema/*-*-*",
            "iglu:com.*.acme/x/jsonschema/1-0-0",
            "iglu:com/x/jsonschema/1-0-0",
            "iglu:com.acme/x/jsonschema/0-0-0",
            "iglu:com.acme/x/jsonschema/1-01-0",
            "iglu:com.acme/x*/jsonschema/1-0-0",
            "com.acme/x/jsonschema/1-0-0",
            "iglu:com.acme/x/avro/1-0-0",
        ] {
            assert!(Rule::parse(invalid).is_none(), "{invalid}");
        }
    }

    #[test]
    fn rule_matching_vectors() {
        let m = |rule: &str, schema: &str| Rule::parse(rule).unwrap().matches(schema);
        assert!(m("iglu:com.acme/*/jsonschema/*-*-*", "iglu:com.acme/event/jsonschema/1-0-0"));
        assert!(m("iglu:com.acme/*/jsonschema/1-*-*", "iglu:com.acme/event/jsonschema/1-2-0"));
        assert!(!m("iglu:com.acme/*/jsonschema/1-*-*", "iglu:com.acme/event/jsonschema/2-0-0"));
        assert!(m("iglu:com.acme/event/jsonschema/1-0-*", "iglu:com.acme/event/jsonschema/1-0-3"));
        assert!(!m("iglu:com.acme/*/jsonschema/*-*-*", "iglu:com.acme.sub/event/jsonschema/1-0-0"));
        assert!(!m(
            "iglu:com.acme.*/event/jsonschema/*-*-*",
            "iglu:com.acme.marketing/event/jsonschema/1-0-0"
        ));
        assert!(m(
            "iglu:com.snowplowanalytics.snowplow/*/jsonschema/*-*-*",
            "iglu:com.snowplowanalytics.snowplow/pageview/jsonschema/1-0-1"
        ));
        assert!(!m("iglu:com.acme/*/jsonschema/*-*-*", ""), "non-self-describing events never match");
    }

    #[test]
    fn rulesets_accept_and_reject() {
        let link = "iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1";
        let all = "iglu:com.snowplowanalytics.snowplow/*/jsonschema/*-*-*".to_owned();
        let rs = |accept: &[&str], reject: &[&str]| RuleSet {
            accept: accept.iter().map(|s| (*s).to_owned()).collect(),
            reject: reject.iter().map(|s| (*s).to_owned()).collect(),
        };
        assert!(rs(&[&all], &[]).matches(link));
        assert!(!rs(&[], &[&all]).matches(link), "reject-only never attaches");
        assert!(
            !rs(&[&all], &["iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/*-*-*"]).matches(link)
        );
        assert!(!rs(&[], &[]).is_valid());
        assert!(!rs(&["foo"], &[]).is_valid());
        assert!(!rs(&[&all, "bad"], &[]).is_valid());
    }

    struct Host(Vec<(Handle, &'static str)>);
    impl ContextHost for Host {
        fn generate(&mut self, handle: Handle, _: EventKind<'_>) -> Vec<String> {
            self.0.push((handle, "generate"));
            vec![format!("g{handle}")]
        }
        fn filter(&mut self, handle: Handle, event: EventKind<'_>) -> bool {
            self.0.push((handle, "filter"));
            event.event_type == "ue"
        }
    }

    #[test]
    fn primitives_come_before_conditionals_and_names_replace() {
        let mut g = GlobalContexts::default();
        let e = |s: &str| GlobalContext::Primitive(Primitive::Entity(s.into()));
        g.add(None, GlobalContext::Conditional(Condition::Filter(7), vec![Primitive::Entity("c".into())]));
        g.add(Some("geo".into()), e("geo1"));
        g.add(None, e("a"));
        g.add(None, GlobalContext::Primitive(Primitive::Generator(3)));
        g.add(Some("geo".into()), e("geo2"));
        let mut host = Host(Vec::new());
        let ue = EventKind { event_type: "ue", event_schema: "iglu:com.acme/x/jsonschema/1-0-0", event: "" };
        assert_eq!(g.entities(ue, &mut host), ["a", "g3", "geo2", "c"]);
        let pv = EventKind { event_type: "pv", event_schema: "", event: "" };
        assert_eq!(g.entities(pv, &mut host), ["a", "g3", "geo2"]);
        g.remove(&e("a"));
        g.remove_named("geo");
        assert_eq!(g.entities(pv, &mut host), ["g3"]);
        g.clear();
        assert!(g.is_empty());
    }
}
