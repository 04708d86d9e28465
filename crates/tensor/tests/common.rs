//! Shared by tensor tests: a naive oracle (a row-major `Vec<f64>` with a shape, where
//! every operation is written as plain index arithmetic), and a way to run code on a
//! given number of threads.

#![allow(dead_code)]

/// Row-major multi-indices of `shape`, in order.
#[must_use]
pub(crate) fn indices(shape: &[usize]) -> Vec<Vec<usize>> {
    let n: usize = shape.iter().product();
    let mut out = Vec::with_capacity(n);
    let mut idx = vec![0; shape.len()];
    for _ in 0..n {
        out.push(idx.clone());
        for k in (0..shape.len()).rev() {
            idx[k] += 1;
            if idx[k] < shape[k] {
                break;
            }
            idx[k] = 0;
        }
    }
    out
}

/// Flat row-major position of a multi-index.
#[must_use]
pub(crate) fn flat(shape: &[usize], idx: &[usize]) -> usize {
    idx.iter().zip(shape).fold(0, |acc, (i, d)| acc * d + i)
}

/// A contiguous array with a shape.
#[derive(Clone, Debug)]
pub(crate) struct Naive {
    pub(crate) data: Vec<f64>,
    pub(crate) shape: Vec<usize>,
}

impl Naive {
    #[must_use]
    pub(crate) fn new(data: Vec<f64>, shape: &[usize]) -> Self {
        assert_eq!(data.len(), shape.iter().product::<usize>());
        Naive {
            data,
            shape: shape.to_vec(),
        }
    }

    /// Builds the array of `shape` whose element at `out` is `self[src(out)]`.
    #[must_use]
    pub(crate) fn gather(&self, shape: &[usize], src: impl Fn(&[usize]) -> Vec<usize>) -> Naive {
        let data = indices(shape)
            .iter()
            .map(|i| self.data[flat(&self.shape, &src(i))])
            .collect();
        Naive::new(data, shape)
    }

    #[must_use]
    pub(crate) fn get(&self, idx: &[usize]) -> f64 {
        self.data[flat(&self.shape, idx)]
    }
}

/// Runs `f` on a new rayon pool of `threads` threads (for same-bits-on-any-thread-count
/// tests).
pub(crate) fn on_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
        .install(f)
}
