//! Extracts the README's Rust code blocks into `$OUT_DIR/readme_{i}.rs`, so that
//! `tests/readme.rs` compiles and runs the README itself, not a copy of it.

use std::fmt::Write as _;

fn main() {
    println!("cargo:rerun-if-changed=README.md");
    let readme = std::fs::read_to_string("README.md").expect("README.md beside Cargo.toml");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```rust") => current = Some(String::new()),
            (Some(_), "```") => blocks.push(current.take().expect("inside a block")),
            (Some(code), _) => {
                let _ = writeln!(code, "{line}");
            }
            (None, _) => {}
        }
    }
    for (i, code) in blocks.iter().enumerate() {
        // Each block becomes the body of a function returning a Result (the README's
        // code uses `?`).
        let body = format!("{{\n{code}\n#[allow(unreachable_code)]\nOk(())\n}}\n");
        std::fs::write(format!("{out}/readme_{i}.rs"), body).expect("OUT_DIR is writable");
    }
    std::fs::write(format!("{out}/readme_blocks.txt"), blocks.len().to_string())
        .expect("OUT_DIR is writable");
}
