//! Queued events' wire texts as JS strings ([`JsWire`]): a queued event costs the wasm memory a
//! handle and two numbers, and a burst's texts sit in the garbage-collected JS heap (the wasm
//! memory never shrinks).

use crate::engine::delivery::Wire;
use crate::prelude::*;
use crate::web::host;
use alloc::rc::Rc;
use core::cell::{OnceCell, RefCell};

/// The wire texts of events tracked together (in one task, up to [`BATCH_MAX_BYTES`]): kept in
/// wasm until first needed (for storage or a request), then turned into JS strings in one
/// crossing, one UTF-8 decode for the lot instead of one per event.
#[derive(Debug, Default)]
struct Batch {
    /// The texts not yet handed to JS, each followed by `\n` (no wire text holds a raw newline).
    text: RefCell<String>,
    /// The texts as JS strings, once handed over.
    lines: OnceCell<js_sys::Array>,
}

impl Batch {
    fn lines(&self) -> &js_sys::Array {
        self.lines.get_or_init(|| {
            let text = self.text.try_borrow_mut().map(|mut t| core::mem::take(&mut *t)).unwrap_or_default();
            host::split_lines(&text)
        })
    }
}

/// A batch is handed to JS once its texts reach this size, whether or not they are needed yet:
/// the wasm memory a burst takes stays bounded.
const BATCH_MAX_BYTES: usize = 16 * 1024;

/// An event's wire text: in its batch, which holds it in wasm until the batch is handed to JS,
/// then as a JS string.
#[derive(Debug, Clone)]
pub struct JsWire {
    batch: Rc<Batch>,
    index: u32,
    len: usize,
}

impl Wire for JsWire {
    fn wire_len(&self) -> usize {
        self.len
    }
}

/// The JS strings of `wires`, as a JS array.
pub fn wire_array<'a>(wires: impl IntoIterator<Item = &'a JsWire>) -> js_sys::Array {
    let array = js_sys::Array::new();
    for wire in wires {
        array.push(&wire.batch.lines().get(wire.index));
    }
    array
}

/// Takes events' wire texts into batches.
#[derive(Debug, Default)]
pub struct Wires {
    /// The batch new texts go to, and how many it holds.
    batch: Rc<Batch>,
    batch_len: u32,
}

impl Wires {
    /// Takes an event's wire text.
    pub fn wire(&mut self, text: &str) -> JsWire {
        let full = self.batch.text.try_borrow().map_or(true, |t| t.len() >= BATCH_MAX_BYTES);
        if full {
            self.batch.lines(); // handed to JS now, so the wasm memory holds one batch at most
        }
        if self.batch.lines.get().is_some() {
            self.batch = Rc::default();
            self.batch_len = 0;
        }
        if let Ok(mut batch) = self.batch.text.try_borrow_mut() {
            batch.push_str(text);
            batch.push('\n');
        }
        let wire = JsWire { batch: Rc::clone(&self.batch), index: self.batch_len, len: text.len() };
        self.batch_len += 1;
        wire
    }
}
