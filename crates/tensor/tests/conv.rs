//! Convolution kernels against the definition written as nested loops: the forward
//! value, the input gradient (`conv_transpose2d`) and the weight gradient
//! (`conv2d_weight`), on odd shapes (non-square images, rectangular kernels, stride 2
//! with padding, dilation 2, groups, depthwise, 1×1), on both the chunked and the
//! one-sample-at-a-time paths, serial and parallel.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tensor::{Conv2dParams, Tensor};

/// One convolution: shapes and parameters.
struct Case {
    x: [usize; 4],
    w: [usize; 4],
    p: Conv2dParams,
}

fn case(x: [usize; 4], w: [usize; 4], p: Conv2dParams) -> Case {
    Case { x, w, p }
}

fn cases() -> Vec<Case> {
    let d = Conv2dParams::default();
    let mut cases = vec![
        case([2, 3, 5, 7], [4, 3, 3, 3], d),
        case([2, 3, 5, 7], [4, 3, 2, 3], d.padding(1)),
        case([3, 2, 7, 6], [5, 2, 3, 2], d.stride(2).padding(1)),
        case([2, 2, 9, 8], [3, 2, 3, 3], d.dilation(2).padding(2)),
        case([2, 4, 6, 5], [6, 2, 3, 3], d.groups(2).padding(1)),
        case([2, 4, 6, 5], [4, 1, 3, 3], d.groups(4).padding(1).stride(2)),
        case([2, 3, 4, 5], [2, 3, 1, 1], d),
        case([1, 1, 8, 8], [8, 1, 3, 3], d.padding(1)),
        // Big enough per sample to lower one sample at a time.
        case([3, 4, 40, 37], [2, 4, 3, 3], d.padding(1)),
        // Big enough to split the batch across threads.
        case([8, 8, 32, 32], [16, 8, 3, 3], d.padding(1)),
    ];
    let mut odd = d.padding(1);
    odd.stride = [2, 1];
    odd.padding = [0, 2];
    odd.dilation = [1, 2];
    cases.push(case([2, 2, 6, 7], [3, 2, 2, 3], odd));
    cases
}

fn random(shape: &[usize], rng: &mut StdRng) -> Tensor<f64> {
    let n = shape.iter().product();
    Tensor::from_vec((0..n).map(|_| rng.random_range(-1.0..1.0)).collect(), shape).unwrap()
}

/// `(out, dx, dw)` from the definition: `out[n,o,y,x] = Σ w[o,c,i,j]·x[n, g·C/G + c,
/// y·sh − ph + i·dh, x·sw − pw + j·dw]`; `dx` and `dw` collect `g[n,o,y,x]` times the
/// other factor of the same term.
fn naive(
    x: &Tensor<f64>,
    w: &Tensor<f64>,
    g: &Tensor<f64>,
    p: Conv2dParams,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (xs, ws, gs) = (x.shape(), w.shape(), g.shape());
    let (xv, wv, gv) = (x.to_vec(), w.to_vec(), g.to_vec());
    let (cg, og) = (ws[1], ws[0] / p.groups);
    let mut out = vec![0.0; gs.iter().product()];
    let mut dx = vec![0.0; xv.len()];
    let mut dw = vec![0.0; wv.len()];
    for n in 0..gs[0] {
        for o in 0..gs[1] {
            for y in 0..gs[2] {
                for xo in 0..gs[3] {
                    let oi = ((n * gs[1] + o) * gs[2] + y) * gs[3] + xo;
                    for c in 0..cg {
                        let ci = (o / og) * cg + c;
                        for i in 0..ws[2] {
                            for j in 0..ws[3] {
                                let iy = (y * p.stride[0] + i * p.dilation[0]) as isize
                                    - p.padding[0] as isize;
                                let ix = (xo * p.stride[1] + j * p.dilation[1]) as isize
                                    - p.padding[1] as isize;
                                if iy < 0 || ix < 0 || iy >= xs[2] as isize || ix >= xs[3] as isize
                                {
                                    continue;
                                }
                                let xi =
                                    ((n * xs[1] + ci) * xs[2] + iy as usize) * xs[3] + ix as usize;
                                let wi = ((o * cg + c) * ws[2] + i) * ws[3] + j;
                                out[oi] += wv[wi] * xv[xi];
                                dx[xi] += gv[oi] * wv[wi];
                                dw[wi] += gv[oi] * xv[xi];
                            }
                        }
                    }
                }
            }
        }
    }
    (out, dx, dw)
}

fn assert_close(what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (k, (a, b)) in got.iter().zip(want).enumerate() {
        assert!(
            (a - b).abs() <= 1e-10 * (1.0 + b.abs()),
            "{what}[{k}]: {a} vs {b}"
        );
    }
}

#[test]
fn conv2d_and_both_adjoints_match_the_definition() {
    let mut rng = StdRng::seed_from_u64(1);
    for (k, c) in cases().into_iter().enumerate() {
        let x = random(&c.x, &mut rng);
        let w = random(&c.w, &mut rng);
        let [oh, ow] = c.p.output_size([c.x[2], c.x[3]], [c.w[2], c.w[3]]).unwrap();
        let g = random(&[c.x[0], c.w[0], oh, ow], &mut rng);
        let (out, dx, dw) = naive(&x, &w, &g, c.p);
        let y = x.conv2d(&w, c.p);
        assert_eq!(y.shape(), &[c.x[0], c.w[0], oh, ow], "case {k}");
        assert_close(&format!("case {k} out"), &y.to_vec(), &out);
        let gx = g.conv_transpose2d(&w, c.p, [c.x[2], c.x[3]]);
        assert_eq!(gx.shape(), &c.x, "case {k}");
        assert_close(&format!("case {k} dx"), &gx.to_vec(), &dx);
        let gw = x.conv2d_weight(&g, c.p, [c.w[2], c.w[3]]);
        assert_eq!(gw.shape(), &c.w, "case {k}");
        assert_close(&format!("case {k} dw"), &gw.to_vec(), &dw);
    }
}

#[test]
fn conv2d_reads_strided_inputs_and_works_in_f32() {
    let mut rng = StdRng::seed_from_u64(2);
    let x = random(&[2, 3, 6, 5], &mut rng);
    let w = random(&[4, 3, 3, 2], &mut rng);
    let p = Conv2dParams::default().padding(1);
    let want = x.conv2d(&w, p).to_vec();
    // The same values through transposed views.
    let xt = x.transpose(2, 3).contiguous().transpose(2, 3);
    let wt = w.transpose(0, 1).contiguous().transpose(0, 1);
    assert!(!xt.is_contiguous() && !wt.is_contiguous());
    assert_close("strided", &xt.conv2d(&wt, p).to_vec(), &want);
    let f32s = |t: &Tensor<f64>| {
        Tensor::from_vec(t.to_vec().iter().map(|&v| v as f32).collect(), t.shape()).unwrap()
    };
    let y32 = f32s(&x).conv2d(&f32s(&w), p);
    for (a, b) in y32.to_vec().iter().zip(&want) {
        assert!((*a as f64 - b).abs() < 1e-5);
    }
}

#[test]
fn output_size_is_pytorchs_formula() {
    let p = Conv2dParams::default();
    assert_eq!(p.output_size([8, 8], [3, 3]).unwrap(), [6, 6]);
    assert_eq!(
        p.stride(2).padding(1).output_size([7, 6], [3, 3]).unwrap(),
        [4, 3]
    );
    assert_eq!(p.dilation(2).output_size([9, 5], [3, 2]).unwrap(), [5, 3]);
    let err = p.output_size([2, 8], [3, 3]).unwrap_err().to_string();
    assert!(
        err.contains("conv2d") && err.contains("[3, 3]") && err.contains("[2, 8]"),
        "{err}"
    );
    assert!(p.stride(0).output_size([8, 8], [3, 3]).is_err());
}

#[test]
#[should_panic(expected = "conv2d: input [1, 1, 2, 2], weight [1, 1, 3, 3]")]
fn a_kernel_larger_than_the_padded_input_panics_naming_the_shapes() {
    let _ = Tensor::<f32>::zeros(&[1, 1, 2, 2])
        .conv2d(&Tensor::zeros(&[1, 1, 3, 3]), Conv2dParams::default());
}

#[test]
#[should_panic(expected = "groups must divide")]
fn groups_that_do_not_divide_the_channels_panic() {
    let _ = Tensor::<f32>::zeros(&[1, 3, 4, 4]).conv2d(
        &Tensor::zeros(&[2, 1, 3, 3]),
        Conv2dParams::default().groups(2),
    );
}

#[test]
#[should_panic(expected = "weight expects 2 input channels per group, the input has 3")]
fn a_channel_mismatch_panics() {
    let _ = Tensor::<f32>::zeros(&[1, 3, 4, 4])
        .conv2d(&Tensor::zeros(&[2, 2, 3, 3]), Conv2dParams::default());
}

#[test]
#[should_panic(expected = "conv_transpose2d: gradient [1, 1, 3, 3] does not match")]
fn a_transposed_convolution_to_the_wrong_size_panics() {
    let _ = Tensor::<f32>::zeros(&[1, 1, 3, 3]).conv_transpose2d(
        &Tensor::zeros(&[1, 1, 3, 3]),
        Conv2dParams::default(),
        [6, 6],
    );
}

/// No input channels: the convolution is zeros, and its two adjoints (the backward
/// products) have nothing to transpose or sum — empty results, not a panic in a
/// zero-sized chunking.
#[test]
fn a_convolution_without_input_channels_has_empty_adjoints() {
    let p = tensor::Conv2dParams::default();
    let x = Tensor::<f64>::zeros(&[1, 0, 4, 4]);
    let w = Tensor::<f64>::zeros(&[2, 0, 3, 3]);
    let y = x.conv2d(&w, p);
    assert_eq!(y.shape(), [1, 2, 2, 2]);
    assert_eq!(y.to_vec(), [0.0; 8]);
    let g = Tensor::<f64>::ones(&[1, 2, 2, 2]);
    assert_eq!(g.conv_transpose2d(&w, p, [4, 4]).shape(), [1, 0, 4, 4]);
    assert_eq!(x.conv2d_weight(&g, p, [3, 3]).shape(), [2, 0, 3, 3]);
}
