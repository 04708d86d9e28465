//! `Embedding`: a lookup table of vectors, PyTorch's `torch.nn.Embedding`.

use autograd::{Param, Var};
use rand::Rng;
use tensor::{Float, Tensor};

use crate::init::Init;
use crate::module::{Module, Named};

/// Maps token ids to rows of a weight `[num_embeddings, embedding_dim]`: an input of any
/// shape holding ids (as floats with integer values, since tensors are float) gives an
/// output of that shape plus a last axis of `embedding_dim`.
///
/// As in PyTorch:
/// * the weight starts from `N(0, 1)`;
/// * `padding_idx`: that row starts at zero and never receives a gradient, so it stays
///   what it is (zeros, or what was loaded);
/// * `max_norm`: before each lookup, the rows looked up whose L2 norm exceeds it are
///   rescaled in place to norm `max_norm` (PyTorch's `embedding_renorm_`, with its
///   `1e-7` in the divisor).
///
/// The backward pass is an index-add of the output gradient into the rows looked up
/// (`index_select`'s rule), never a dense one-hot product, so its cost depends on the
/// number of tokens, not on the vocabulary.
///
/// ```
/// use autograd::Tape;
/// use nn::{Embedding, Module};
/// use rand::SeedableRng;
/// use tensor::Tensor;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let emb = Embedding::<f64>::new(10, 4, &mut rng).with_padding_idx(0);
/// let tape = Tape::new();
/// let ids = Tensor::from([[0.0, 3.0, 3.0], [9.0, 0.0, 1.0]]);
/// let y = emb.forward(tape.constant(ids));
/// assert_eq!(y.shape(), [2, 3, 4]);
/// let w = tape.param(emb.weight());
/// let g = y.sum_all().backward();
/// // Row 3 was used twice, the padding row 0 gets nothing, row 5 was not used.
/// assert_eq!(g[&w].narrow(0, 3, 1).to_vec(), vec![2.0; 4]);
/// assert_eq!(g[&w].narrow(0, 0, 1).to_vec(), vec![0.0; 4]);
/// assert_eq!(g[&w].narrow(0, 5, 1).to_vec(), vec![0.0; 4]);
/// ```
#[derive(Debug)]
pub struct Embedding<T: Float = f32> {
    weight: Param<T>,
    padding_idx: Option<usize>,
    max_norm: Option<f64>,
}

impl<T: Float> Embedding<T> {
    /// A table of `num_embeddings` vectors of `embedding_dim`, drawn from `N(0, 1)`.
    ///
    /// # Panics
    /// If either size is zero.
    #[track_caller]
    pub fn new(num_embeddings: usize, embedding_dim: usize, rng: &mut impl Rng) -> Self {
        assert!(
            num_embeddings > 0 && embedding_dim > 0,
            "Embedding: num_embeddings {num_embeddings} and embedding_dim {embedding_dim} must be positive"
        );
        let w = Init::Normal(0.0, 1.0).tensor(
            &[num_embeddings, embedding_dim],
            embedding_dim,
            num_embeddings,
            rng,
        );
        Embedding {
            weight: Param::new("weight", w),
            padding_idx: None,
            max_norm: None,
        }
    }

    /// Row `idx` is padding: zeroed now, and frozen (no gradient).
    ///
    /// # Panics
    /// If `idx` is not a row of the table.
    #[track_caller]
    #[must_use]
    pub fn with_padding_idx(mut self, idx: usize) -> Self {
        let (v, d) = (self.num_embeddings(), self.embedding_dim());
        assert!(
            idx < v,
            "Embedding: padding_idx {idx} is outside the vocabulary of {v}"
        );
        let mut w = self.weight.value().to_vec();
        w[idx * d..(idx + 1) * d].fill(T::ZERO);
        self.weight
            .set(Tensor::from_vec(w, &[v, d]).expect("same shape"));
        self.padding_idx = Some(idx);
        self
    }

    /// Rescales looked-up rows whose L2 norm exceeds `max_norm` (PyTorch `max_norm`).
    ///
    /// # Panics
    /// If `max_norm` is not positive.
    #[track_caller]
    #[must_use]
    pub fn with_max_norm(mut self, max_norm: f64) -> Self {
        assert!(
            max_norm > 0.0,
            "Embedding: max_norm must be positive, got {max_norm}"
        );
        self.max_norm = Some(max_norm);
        self
    }

    /// The table, `[num_embeddings, embedding_dim]`.
    #[must_use]
    pub fn weight(&self) -> &Param<T> {
        &self.weight
    }

    /// Vocabulary size `V`.
    #[must_use]
    pub fn num_embeddings(&self) -> usize {
        self.weight.shape()[0]
    }

    /// Vector length `D`.
    #[must_use]
    pub fn embedding_dim(&self) -> usize {
        self.weight.shape()[1]
    }

    /// The padding row, if any.
    #[must_use]
    pub fn padding_idx(&self) -> Option<usize> {
        self.padding_idx
    }

    /// The ids of `x` as row numbers, or a message naming the first bad id, its position
    /// and the vocabulary size.
    fn try_indices(&self, x: &Tensor<T>) -> Result<Vec<usize>, String> {
        let v = self.num_embeddings();
        x.to_vec()
            .iter()
            .enumerate()
            .map(|(k, &id)| {
                let f = id.to_f64();
                if f >= 0.0 && f.fract() == 0.0 && f < v as f64 {
                    Ok(f as usize)
                } else {
                    Err(format!(
                        "Embedding: index {f} (element {k} of the input) is not a token id in 0..{v} (vocabulary size {v})"
                    ))
                }
            })
            .collect()
    }

    /// The ids of `x` as row numbers.
    #[track_caller]
    fn indices(&self, x: &Tensor<T>) -> Vec<usize> {
        self.try_indices(x).unwrap_or_else(|e| panic!("{e}"))
    }

    /// PyTorch's `embedding_renorm_`: rows looked up whose norm exceeds `max_norm` are
    /// scaled by `max_norm / (norm + 1e-7)`, in place and outside the tape.
    fn renorm(&self, indices: &[usize], max_norm: f64) {
        let d = self.embedding_dim();
        let mut data = self.weight.value().to_vec();
        let mut rows = indices.to_vec();
        rows.sort_unstable();
        rows.dedup();
        let mut changed = false;
        for r in rows {
            let row = &mut data[r * d..(r + 1) * d];
            let norm = row.iter().map(|v| v.to_f64().powi(2)).sum::<f64>().sqrt();
            if norm > max_norm {
                let scale = T::from_f64(max_norm / (norm + 1e-7));
                row.iter_mut().for_each(|v| *v *= scale);
                changed = true;
            }
        }
        if changed {
            let shape = [self.num_embeddings(), d];
            self.weight
                .set(Tensor::from_vec(data, &shape).expect("same shape"));
        }
    }
}

impl<T: Float> Module<T> for Embedding<T> {
    fn check_input(&self, x: &Tensor<T>) -> Result<(), String> {
        self.try_indices(x).map(|_| ())
    }

    /// # Panics
    /// If an id is negative, fractional or not below `num_embeddings` (the message names
    /// the id, its position and the vocabulary size).
    #[track_caller]
    fn forward<'t>(&self, x: Var<'t, T>) -> Var<'t, T> {
        let ids = x.value();
        let indices = self.indices(&ids);
        if let Some(m) = self.max_norm {
            self.renorm(&indices, m);
        }
        let tape = x.tape();
        let w = tape.param(&self.weight);
        let mut rows = w.index_select(0, &indices);
        if let Some(p) = self.padding_idx {
            // Same value, but the padding rows' gradient stops here.
            let keep: Vec<T> = indices
                .iter()
                .map(|&i| if i == p { T::ZERO } else { T::ONE })
                .collect();
            let keep = Tensor::from_vec(keep, &[indices.len(), 1]).expect("[n, 1]");
            rows = Var::where_(&keep, rows, rows.detach());
        }
        let mut shape: Vec<isize> = ids.shape().iter().map(|&s| s as isize).collect();
        shape.push(self.embedding_dim() as isize);
        rows.reshape(&shape)
    }

    fn parameters(&self) -> Vec<Named<'_, T>> {
        vec![("weight".to_string(), &self.weight)]
    }

    fn describe(&self) -> String {
        format!(
            "Embedding({} × {})",
            self.num_embeddings(),
            self.embedding_dim()
        )
    }
}
