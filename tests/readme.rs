//! The README's Rust code blocks, extracted by `build.rs` and run as they are written
//! (the training example runs its 1000-epoch early-stopping fit in full), in a temporary
//! working directory so the files they write do not land in the checkout.

use std::error::Error;

fn training_example() -> Result<(), Box<dyn Error>> {
    include!(concat!(env!("OUT_DIR"), "/readme_0.rs"))
}

fn tape_example() -> Result<(), Box<dyn Error>> {
    // The README's second block continues the first, which imported the prelude.
    use wengert::prelude::*;
    include!(concat!(env!("OUT_DIR"), "/readme_1.rs"))
}

#[test]
fn the_readme_code_runs_as_written() -> Result<(), Box<dyn Error>> {
    let blocks: usize = include_str!(concat!(env!("OUT_DIR"), "/readme_blocks.txt")).parse()?;
    assert_eq!(blocks, 2, "a new README code block needs a function here");
    let dir = std::env::temp_dir().join(format!("wengert-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    // The only test in this binary, so changing the working directory is safe.
    std::env::set_current_dir(&dir)?;
    training_example()?;
    assert!(dir.join("loss.svg").exists());
    tape_example()?;
    assert!(std::fs::read_to_string(dir.join("graph.dot"))?.starts_with("digraph"));
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
