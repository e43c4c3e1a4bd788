//! Cross-domain linking's `newTracker` options: `crossDomainLinker` (the page's function
//! choosing the links to decorate) and `useExtendedCrossDomainLinker` (`true`, or the object
//! picking the fields of the extended `_sp` value, whose `reason` may be a function of the
//! event). Full build only: in the core build, either asking for linking is an error naming it
//! (with the other full-build options, in [`super::privacy`]).

use super::{Input, Reader, is_object};
use crate::engine::config::Config;
use crate::engine::cross_domain::ExtendedFields;
use crate::error::Result;
#[allow(unused_imports)]
use crate::prelude::*;
use js_sys::Function;
use wasm_bindgen::prelude::*;

names! {
    CROSS_DOMAIN_LINKER = "crossDomainLinker",
    USE_EXTENDED_CROSS_DOMAIN_LINKER = "useExtendedCrossDomainLinker",
    USER_ID = "userId",
    SESSION_ID = "sessionId",
    SOURCE_ID = "sourceId",
    SOURCE_PLATFORM = "sourcePlatform",
    REASON = "reason",
}

/// The page's functions of cross-domain linking.
#[derive(Debug, Default)]
pub struct Linker {
    /// `crossDomainLinker`: which links are decorated (none without it).
    pub linker: Option<Function>,
    /// `useExtendedCrossDomainLinker.reason` when a function: the reason text of a click.
    pub reason: Option<Function>,
}

/// Reads `crossDomainLinker` and `useExtendedCrossDomainLinker` from `newTracker`'s `options`,
/// the fields of the extended value into `config`.
///
/// # Errors
/// [`crate::error::Error::Config`] naming the first invalid field.
pub fn read_options(options: Input<'_>, config: &mut Config) -> Result<Linker> {
    let mut o = Reader::new(options, "", true);
    let mut linker = Linker { linker: o.function(&CROSS_DOMAIN_LINKER), reason: None };
    if let Some(value) = o.value(&USE_EXTENDED_CROSS_DOMAIN_LINKER) {
        let name = USE_EXTENDED_CROSS_DOMAIN_LINKER.name();
        if let Some(on) = value.as_bool() {
            config.cross_domain_extended = on.then(ExtendedFields::default);
        } else if is_object(&value) {
            let prefix = "useExtendedCrossDomainLinker.";
            let mut e = Reader::new(o.input(value), prefix, true);
            let d = ExtendedFields::default();
            let mut fields = ExtendedFields {
                user_id: e.boolean(&USER_ID).unwrap_or(d.user_id),
                session_id: e.boolean(&SESSION_ID).unwrap_or(d.session_id),
                source_id: e.boolean(&SOURCE_ID).unwrap_or(d.source_id),
                source_platform: e.boolean(&SOURCE_PLATFORM).unwrap_or(d.source_platform),
                reason: false,
            };
            match e.value(&REASON) {
                Some(reason) if e.is_function(reason) => {
                    fields.reason = true;
                    linker.reason = Some(e.page_object(reason).unchecked_into());
                }
                Some(reason) => match reason.as_bool() {
                    Some(on) => fields.reason = on,
                    None => e.fail(REASON.name(), "must be a boolean or a function"),
                },
                None => {}
            }
            o.adopt(e.finish());
            config.cross_domain_extended = Some(fields);
        } else {
            o.fail(name, "must be a boolean or an object");
        }
    }
    o.finish()?;
    Ok(linker)
}
