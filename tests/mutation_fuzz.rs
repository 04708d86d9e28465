//! Bounded, seeded byte-mutation fuzzing on the stable toolchain, run by `cargo test`:
//! the CSV reader, the safetensors weights loader and a "shape grammar" of random shapes
//! and view chains through the public tensor API. A few thousand inputs per target; any
//! panic fails (the readers must return errors, the tensor API's `try_` paths must
//! return errors, and valid view chains must agree with a copy).

use std::panic::{catch_unwind, AssertUnwindSafe};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use wengert::nn::data::{parse_csv, parse_table, CsvOptions};
use wengert::nn::io::{read_state_dict, save_weights};
use wengert::prelude::*;

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
        let text = String::from_utf8_lossy(&input).into_owned();
        let options = CsvOptions::default();
        no_panic("parse_csv", &input, || {
            if parse_csv::<f32>(&text, "fuzz.csv", &options).is_err() {
                errors += 1;
            }
        });
        no_panic("parse_table", &input, || {
            let _ = parse_table(&text, "fuzz.csv", &options);
        });
    }
    assert!(
        errors > 100,
        "the mutations should break most files ({errors} errors)"
    );
}

#[test]
fn the_weights_loader_never_panics_on_mutated_files() {
    let dir = std::env::temp_dir().join(format!("wengert-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("seed.safetensors");
    let mut rng = StdRng::seed_from_u64(1);
    let net = Sequential::<f32>::new()
        .add(Linear::new(3, 2, &mut rng))
        .add(BatchNorm1d::new(2));
    save_weights(&net, &path).unwrap();
    let seed = std::fs::read(&path).unwrap();
    let dictionary: [&[u8]; 6] = [
        b"{",
        b"}",
        b"\"dtype\"",
        b"\"I64\"",
        b"[0,99999999999]",
        b"\"shape\":[4294967296,4294967296]",
    ];
    let fuzzed = dir.join("fuzzed.safetensors");
    for _ in 0..1500 {
        let input = mutate(&seed, &mut rng, &dictionary);
        std::fs::write(&fuzzed, &input).unwrap();
        no_panic("read_state_dict", &input, || {
            if let Ok(state) = read_state_dict::<f32>(&fuzzed) {
                // Whatever parsed must also load or be refused cleanly.
                let _ = net.load_state_dict(&state, false);
            }
        });
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn random_shapes_and_view_chains_never_panic_in_the_try_paths() {
    let mut rng = StdRng::seed_from_u64(7);
    // Small lengths, and ones whose products overflow (refused, or harmless beside a 0).
    let lengths = [0usize, 1, 2, 3, 5, 1 << 10, 1 << 40, usize::MAX / 3];
    for _ in 0..3000 {
        let rank = rng.random_range(0..4);
        let shape: Vec<usize> = (0..rank)
            .map(|_| lengths[rng.random_range(0..lengths.len())])
            .collect();
        let input = format!("{shape:?}").into_bytes();
        no_panic("shape grammar", &input, || {
            // Shapes whose count overflows must be refused, not allocated or wrapped;
            // countable ones above a million elements are skipped to keep the test quick.
            match wengert::tensor::shape::try_numel("zeros", &shape) {
                Err(_) => {
                    assert!(Tensor::<f32>::try_zeros(&shape).is_err());
                    return;
                }
                Ok(n) if n > 1 << 20 => return,
                Ok(_) => {}
            }
            let t = Tensor::<f32>::try_zeros(&shape).expect("a small tensor");
            let t = t.map(|_| 1.0);
            let target: Vec<isize> = (0..rng.random_range(0..4))
                .map(|_| [-1isize, 0, 1, 2, 3, 6][rng.random_range(0..6)])
                .collect();
            if let Ok(r) = t.try_reshape(&target) {
                assert_eq!(r.numel(), t.numel());
            }
            let big: Vec<usize> = (0..rng.random_range(0..4))
                .map(|_| lengths[rng.random_range(0..lengths.len())])
                .collect();
            if let Ok(b) = t.try_broadcast_to(&big) {
                assert_eq!(b.shape(), big.as_slice());
            }
            if t.ndim() >= 1 {
                let axis = rng.random_range(0..t.ndim());
                let d = t.shape()[axis];
                let start = rng.random_range(0..=d);
                let len = rng.random_range(0..=d - start);
                let v = t.narrow(axis as isize, start, len);
                assert_eq!(v.to_vec(), v.contiguous().to_vec());
                assert_eq!(v.sum_all(), v.numel() as f32);
                let picks: Vec<usize> = (0..rng.random_range(0..4))
                    .map(|_| rng.random_range(0..d + 2))
                    .collect();
                let _ = t.try_index_select(axis as isize, &picks);
            }
            if t.ndim() >= 2 {
                let tt = t.t();
                assert_eq!(tt.contiguous().numel(), t.numel());
                // (Small operands only: a [1024, 1024, 1] batch times its transpose is
                // a valid 4 GiB product.)
                if t.numel() <= 4096 {
                    let _ = t.try_matmul(&tt);
                }
            }
            let _ = t.try_at(&vec![1; t.ndim()]);
        });
    }
}
