//! Bounded, seeded byte-mutation fuzzing on the stable toolchain, run by `cargo test`:
//! the targets of `fuzz/targets.rs` (the CSV reader, the safetensors weights loader and a
//! "shape grammar" of shapes and view chains through the public tensor API), which the
//! cargo-fuzz binaries in `fuzz/` also run under libFuzzer on nightly. A few thousand
//! inputs per target; any panic fails.

use std::panic::{catch_unwind, AssertUnwindSafe};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wengert::nn::io::save_weights;
use wengert::prelude::*;

#[path = "../fuzz/targets.rs"]
#[allow(dead_code, unreachable_pub)]
mod targets;

/// Mutates `seed` in place: flip, insert, delete, duplicate or splice bytes.
fn mutate(seed: &[u8], rng: &mut StdRng, dictionary: &[&[u8]]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..rng.random_range(1..6) {
        let at = if v.is_empty() {
            0
        } else {
            rng.random_range(0..v.len())
        };
        match rng.random_range(0..6) {
            0 if !v.is_empty() => v[at] ^= 1 << rng.random_range(0..8),
            1 => v.insert(at, rng.random()),
            2 if !v.is_empty() => {
                v.remove(at);
            }
            3 if !v.is_empty() => {
                let len = rng.random_range(0..=(v.len() - at).min(16));
                let chunk: Vec<u8> = v[at..at + len].to_vec();
                v.splice(at..at, chunk);
            }
            4 => {
                let word = dictionary[rng.random_range(0..dictionary.len())];
                v.splice(at..at, word.iter().copied());
            }
            _ => v.truncate(at),
        }
    }
    v
}

fn no_panic(target: &str, input: &[u8], f: impl FnOnce()) {
    if let Err(e) = catch_unwind(AssertUnwindSafe(f)) {
        let msg = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        panic!(
            "{target}: panicked on input {:?}: {msg}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn the_csv_reader_never_panics_on_mutated_files() {
    let seeds: [&[u8]; 4] = [
        b"age,bmi,y\n1,2.5,0\n3,NA,1\n",
        b"\xEF\xBB\xBF\"age, years\";\"b\";y\r\n\"1,5\";2;0\r\n4;\"x\"\"y\";1\r\n",
        b"10\n0\nNaN",
        b"a\tb\ty\n1\t2\t3\n\n4\t5\t6\n",
    ];
    let dictionary: [&[u8]; 10] = [
        b",", b";", b"\"", b"\r", b"\n", b"NaN", b"1e400", b"-", b"?", b"\xFF",
    ];
    let mut rng = StdRng::seed_from_u64(0xC5F);
    let mut errors = 0;
    for i in 0..3000 {
        let input = mutate(seeds[i % seeds.len()], &mut rng, &dictionary);
        no_panic("csv", &input, || errors += usize::from(targets::csv(&input)));
    }
    assert!(
        errors > 100,
        "the mutations should break most files ({errors} errors)"
    );
}

#[test]
fn the_weights_loader_never_panics_on_mutated_files() {
    let path = std::env::temp_dir().join(format!("wengert-fuzz-{}.safetensors", std::process::id()));
    let mut rng = StdRng::seed_from_u64(1);
    let net = Sequential::<f32>::new()
        .add(Linear::new(3, 2, &mut rng))
        .add(BatchNorm1d::new(2));
    save_weights(&net, &path).unwrap();
    let seed = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let dictionary: [&[u8]; 6] = [
        b"{",
        b"}",
        b"\"dtype\"",
        b"\"I64\"",
        b"[0,99999999999]",
        b"\"shape\":[4294967296,4294967296]",
    ];
    for _ in 0..1500 {
        let input = mutate(&seed, &mut rng, &dictionary);
        no_panic("weights", &input, || targets::weights(&input));
    }
}

#[test]
fn random_shapes_and_view_chains_never_panic_in_the_try_paths() {
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..3000 {
        let input: Vec<u8> = (0..rng.random_range(0..24)).map(|_| rng.random()).collect();
        no_panic("shapes", &input, || targets::shapes(&input));
    }
}
