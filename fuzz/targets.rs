//! The fuzz targets, shared by the cargo-fuzz binaries in `fuzz/fuzz_targets/` (libFuzzer,
//! nightly, for long local runs) and by `tests/mutation_fuzz.rs` (seeded byte mutation on
//! stable, in `cargo test`). Each takes arbitrary bytes and must not panic: readers return
//! errors, the tensor API's `try_` paths return errors, and valid view chains agree with
//! a copy.

use wengert::nn::data::{parse_csv, parse_table, CsvOptions};
use wengert::nn::io::state_dict_from_bytes;
use wengert::prelude::*;

/// Bytes read as a stream of choices; 0 once they run out.
pub struct Choices<'a>(&'a [u8]);

impl<'a> Choices<'a> {
    /// Choices from `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Choices(bytes)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn pick(&mut self, n: usize) -> usize {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b as usize % n
            }
            None => 0,
        }
    }

    /// One of `items`.
    pub fn one_of<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.pick(items.len())]
    }
}

/// The CSV reader and the table reader on any bytes: an error or a table, never a panic.
/// Returns whether `parse_csv` refused the input.
pub fn csv(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let options = CsvOptions::default();
    let _ = parse_table(&text, "fuzz.csv", &options);
    parse_csv::<f32>(&text, "fuzz.csv", &options).is_err()
}

/// The safetensors loader on any bytes; whatever parses must also load into a small
/// model (Linear + BatchNorm1d, as PyTorch names them) or be refused cleanly.
pub fn weights(bytes: &[u8]) {
    if let Ok(state) = state_dict_from_bytes::<f32>(bytes, "fuzz.safetensors") {
        let mut rng = StdRng::seed_from_u64(1);
        let net = Sequential::<f32>::new()
            .add(Linear::new(3, 2, &mut rng))
            .add(BatchNorm1d::new(2));
        let _ = net.load_state_dict(&state, false);
    }
}

/// A "shape grammar": the bytes choose a shape (small lengths, and ones whose products
/// overflow) and a chain of reshapes, broadcasts, narrows, index selections, transposes
/// and products through the public tensor API.
pub fn shapes(bytes: &[u8]) {
    let mut c = Choices::new(bytes);
    let lengths = [0usize, 1, 2, 3, 5, 1 << 10, 1 << 40, usize::MAX / 3];
    let rank = c.pick(4);
    let shape: Vec<usize> = (0..rank).map(|_| c.one_of(&lengths)).collect();
    // Shapes whose count overflows must be refused, not allocated or wrapped; countable
    // ones above a million elements are skipped to keep runs quick.
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
    let target: Vec<isize> = (0..c.pick(4))
        .map(|_| c.one_of(&[-1isize, 0, 1, 2, 3, 6]))
        .collect();
    if let Ok(r) = t.try_reshape(&target) {
        assert_eq!(r.numel(), t.numel());
    }
    let big: Vec<usize> = (0..c.pick(4)).map(|_| c.one_of(&lengths)).collect();
    if let Ok(b) = t.try_broadcast_to(&big) {
        assert_eq!(b.shape(), big.as_slice());
    }
    if t.ndim() >= 1 {
        let axis = c.pick(t.ndim());
        let d = t.shape()[axis];
        let start = c.pick(d + 1);
        let len = c.pick(d - start + 1);
        let v = t.narrow(axis as isize, start, len);
        assert_eq!(v.to_vec(), v.contiguous().to_vec());
        assert_eq!(v.sum_all(), v.numel() as f32);
        let picks: Vec<usize> = (0..c.pick(4)).map(|_| c.pick(d + 2)).collect();
        let _ = t.try_index_select(axis as isize, &picks);
    }
    if t.ndim() >= 2 {
        let tt = t.t();
        assert_eq!(tt.contiguous().numel(), t.numel());
        // Small products only: [1024, 1024, 0] times its transpose is a valid 4 GiB
        // product of zeros, which an allocation limit would count as a failure.
        let r = t.ndim();
        let rows = t.shape()[r - 2];
        let product = (|| {
            t.shape()[..r - 2]
                .iter()
                .try_fold(rows.checked_mul(rows)?, |acc: usize, &d| acc.checked_mul(d))
        })();
        if product.is_some_and(|n| n <= 1 << 20) {
            let _ = t.try_matmul(&tt);
        }
    }
    let _ = t.try_at(&vec![1; t.ndim()]);
}
