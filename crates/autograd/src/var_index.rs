//! Indexing on `Var`: `index_select`/`index_add`, `gather`/`scatter_add` (each pair the
//! other's adjoint in the derivative table) and `where_`.

use smallvec::smallvec;
use tensor::{Float, Tensor};

use crate::op::Op;
use crate::tape::Var;
use crate::var_ops::axis_of;

impl<'t, T: Float> Var<'t, T> {
    /// Picks entries along an axis (embedding lookups, row selection).
    ///
    /// # Panics
    /// If the axis or an index is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([10.0f64, 20.0, 30.0]));
    /// let y = x.index_select(0, &[2, 0, 2]);
    /// assert_eq!(y.value().to_vec(), vec![30.0, 10.0, 30.0]);
    /// // a row picked twice gets both gradients
    /// assert_eq!(y.sum_all().backward()[&x].to_vec(), vec![1.0, 0.0, 2.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn index_select(self, axis: isize, indices: &[usize]) -> Self {
        let ax = axis_of(axis, self.ndim(), "index_select");
        let value = self.value().index_select(ax as isize, indices);
        self.unary(
            Op::IndexSelect {
                axis: ax,
                indices: indices.to_vec(),
            },
            value,
        )
    }

    /// Sums entries along `axis` into positions `indices` of a zero tensor whose axis has
    /// length `len` (the adjoint of [`Var::index_select`]).
    ///
    /// # Panics
    /// If the axis or an index is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([1.0f64, 2.0, 3.0]));
    /// assert_eq!(x.index_add(0, &[1, 0, 1], 2).value().to_vec(), vec![2.0, 4.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn index_add(self, axis: isize, indices: &[usize], len: usize) -> Self {
        let ax = axis_of(axis, self.ndim(), "index_add");
        let value = self.value().index_add(ax as isize, indices, len);
        self.unary(
            Op::IndexAdd {
                axis: ax,
                indices: indices.to_vec(),
                len,
            },
            value,
        )
    }

    /// Sums `self` into a zero tensor of `shape` at the positions `index` names along
    /// `axis` (the adjoint of [`Var::gather`]; the index is a constant).
    ///
    /// # Panics
    /// If the shapes do not fit or an index is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([[1.0f64], [2.0]]));
    /// let index = Tensor::from([[1.0f64], [0.0]]);
    /// let y = x.scatter_add(1, &index, &[2, 2]);
    /// assert_eq!(y.value().to_vec(), vec![0.0, 1.0, 2.0, 0.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn scatter_add(self, axis: isize, index: &Tensor<T>, shape: &[usize]) -> Self {
        let ax = axis_of(axis, shape.len(), "scatter_add");
        let value = self.value().scatter_add(ax as isize, index, shape);
        let idx = self.tape.constant(index.clone());
        self.tape
            .record(Op::ScatterAdd(ax), smallvec![self.id, idx.id], value)
    }

    /// `torch.gather`: along `axis`, the entry whose index `index` holds at each position
    /// (the index is a constant, e.g. class labels).
    ///
    /// # Panics
    /// If the shapes do not fit or an index is out of range.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::Tape;
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let x = tape.var(Tensor::from([[0.1f64, 0.9], [0.8, 0.2]]));
    /// let labels = Tensor::from([[1.0f64], [0.0]]);
    /// let picked = x.gather(1, &labels);
    /// assert_eq!(picked.value().to_vec(), vec![0.9, 0.8]);
    /// assert_eq!(picked.sum_all().backward()[&x].to_vec(), vec![0.0, 1.0, 1.0, 0.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn gather(self, axis: isize, index: &Tensor<T>) -> Self {
        let ax = axis_of(axis, self.ndim(), "gather");
        let value = self.value().gather(ax as isize, index);
        let idx = self.tape.constant(index.clone());
        self.tape
            .record(Op::Gather(ax), smallvec![self.id, idx.id], value)
    }

    /// `where(mask, a, b)`: `a` where the constant `mask` is non-zero, `b` elsewhere
    /// (all three broadcast).
    ///
    /// # Panics
    /// If the shapes do not broadcast, or `a` and `b` are on different tapes.
    ///
    /// # Examples
    ///
    /// ```
    /// # use autograd::{Tape, Var};
    /// # use tensor::Tensor;
    /// let tape = Tape::new();
    /// let a = tape.var(Tensor::from([1.0f64, 2.0]));
    /// let b = tape.var(Tensor::from([3.0f64, 4.0]));
    /// let mask = Tensor::from([1.0f64, 0.0]);
    /// let y = Var::where_(&mask, a, b);
    /// assert_eq!(y.value().to_vec(), vec![1.0, 4.0]);
    /// assert_eq!(y.sum_all().backward()[&b].to_vec(), vec![0.0, 1.0]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn where_(mask: &Tensor<T>, a: Self, b: Self) -> Self {
        let (a, b) = a.broadcast_pair(b, "where");
        let shape = match tensor::broadcast_shapes(mask.shape(), &a.shape()) {
            Ok(shape) => shape,
            Err(_) => panic!(
                "where: mask {:?} and values {:?} do not broadcast",
                mask.shape(),
                a.shape()
            ),
        };
        let (a, b) = (a.broadcast_to(&shape), b.broadcast_to(&shape));
        let mask = mask.broadcast_to(&shape).contiguous();
        let value = Tensor::where_(&mask, &a.value(), &b.value());
        let m = a.tape.constant(mask);
        a.tape.record(Op::Where, smallvec![m.id, a.id, b.id], value)
    }
}
