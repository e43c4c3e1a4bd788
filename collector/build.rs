//! Embeds the vendored Iglu schemas (`../iglu/schemas`, iglu-central layout) into the crate:
//! generates `$OUT_DIR/embedded_schemas.rs`, a static table of `(path, contents)` pairs
//! where `path` is `vendor/name/format/M-R-A` and the contents are pulled in with `include_str!`.

use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            collect(root, &path, out)?;
        } else {
            let rel = path.strip_prefix(root)?;
            let parts: Vec<String> =
                rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            // Only vendor/name/format/version files are schemas.
            if parts.len() == 4 {
                out.push((parts.join("/"), path.canonicalize()?));
            }
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let root = manifest.join("..").join("iglu").join("schemas");
    let mut files = Vec::new();
    if root.is_dir() {
        collect(&root, &root, &mut files)?;
    } else {
        println!("cargo:warning=no vendored Iglu schemas at {}", root.display());
        println!("cargo:rerun-if-changed={}", root.display());
    }
    let mut code = String::from("/// Vendored Iglu schemas: `(vendor/name/format/version, JSON text)`.\n");
    code.push_str("pub(crate) static EMBEDDED_SCHEMAS: &[(&str, &str)] = &[\n");
    for (key, path) in &files {
        writeln!(code, "    ({key:?}, include_str!({:?})),", path.display().to_string())?;
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("embedded_schemas.rs");
    std::fs::write(out, code)?;
    Ok(())
}
