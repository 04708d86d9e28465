//! Storage recycling (`tensor::recycle`): released buffers come back only when nothing
//! else holds them, recycled results hold exactly what fresh ones would, and the
//! capacity bounds what is kept. One test function, because the capacity is global to
//! the process and the test harness runs functions on parallel threads.

use tensor::{recycle, Conv2dParams, Tensor};

/// 64 × 512 f32 = 128 KiB: above `recycle::MIN_BYTES`.
const SHAPE: [usize; 2] = [64, 512];
const BYTES: usize = 64 * 512 * 4;

fn ramp(shape: &[usize]) -> Tensor<f32> {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n).map(|i| i as f32).collect(), shape).unwrap()
}

#[test]
fn recycling() {
    recycle::clear();
    assert_eq!(recycle::cached_bytes::<f32>(), 0);

    // A dropped tensor's buffer is kept; one of the same length reuses it, and every
    // element is the new value (nothing stale survives).
    drop(ramp(&SHAPE));
    assert_eq!(recycle::cached_bytes::<f32>(), BYTES);
    let z = Tensor::<f32>::zeros(&SHAPE);
    assert_eq!(recycle::cached_bytes::<f32>(), 0);
    assert!(z.to_vec().iter().all(|&x| x == 0.0));

    poisoned_buffers_never_show();

    // A view keeps the storage alive: dropping the tensor releases nothing, dropping the
    // last view releases the buffer.
    recycle::clear();
    let t = ramp(&SHAPE);
    let view = t.narrow(0, 1, 2);
    drop(t);
    assert_eq!(recycle::cached_bytes::<f32>(), 0);
    assert_eq!(view.to_vec()[0], 512.0);
    drop(view);
    assert_eq!(recycle::cached_bytes::<f32>(), BYTES);

    // Small buffers are left to the allocator; element types have their own pools.
    recycle::clear();
    drop(Tensor::<f32>::zeros(&[8, 8]));
    assert_eq!(recycle::cached_bytes::<f32>(), 0);
    drop(Tensor::<f64>::zeros(&SHAPE));
    assert_eq!(recycle::cached_bytes::<f32>(), 0);
    assert_eq!(recycle::cached_bytes::<f64>(), 2 * BYTES);

    // The capacity: buffers of other lengths are freed to make room (the longest first);
    // a buffer larger than the capacity is not kept; 0 keeps nothing.
    recycle::clear();
    let old = recycle::capacity();
    recycle::set_capacity(2 * BYTES);
    drop(ramp(&SHAPE));
    drop(ramp(&SHAPE));
    drop(ramp(&[64, 256]));
    assert_eq!(recycle::cached_bytes::<f32>(), BYTES + BYTES / 2);
    // The two lengths held are still served.
    let z = Tensor::<f32>::zeros(&[64, 256]);
    assert_eq!(recycle::cached_bytes::<f32>(), BYTES);
    assert!(z.to_vec().iter().all(|&x| x == 0.0));
    drop(z);
    assert_eq!(recycle::cached_bytes::<f32>(), BYTES + BYTES / 2);
    drop(ramp(&[128, 512]));
    assert_eq!(recycle::cached_bytes::<f32>(), 2 * BYTES);
    drop(ramp(&[256, 512]));
    assert_eq!(recycle::cached_bytes::<f32>(), 2 * BYTES);
    // Lowering the capacity shrinks a pool at its thread's next take or release.
    recycle::clear();
    recycle::set_capacity(4 * BYTES);
    drop((ramp(&SHAPE), ramp(&[128, 512])));
    assert_eq!(recycle::cached_bytes::<f32>(), 3 * BYTES);
    recycle::set_capacity(BYTES);
    drop(Tensor::<f32>::zeros(&[64, 300]));
    assert_eq!(recycle::cached_bytes::<f32>(), 64 * 300 * 4);
    recycle::set_capacity(0);
    drop(Tensor::<f32>::zeros(&[64, 300]));
    assert_eq!(recycle::cached_bytes::<f32>(), 0);
    recycle::clear();
    drop(ramp(&SHAPE));
    assert_eq!(recycle::cached_bytes::<f32>(), 0);
    recycle::set_capacity(old);

    // Another thread has its own pool.
    recycle::clear();
    std::thread::spawn(|| drop(ramp(&SHAPE))).join().unwrap();
    assert_eq!(recycle::cached_bytes::<f32>(), 0);
}

/// Every op that takes its result's storage from the pool: computed with an empty pool,
/// then again after NaN-filled buffers of the result's length were released. The result
/// must lie in one of those buffers (so the recycled path ran) and hold the same bits.
fn poisoned_buffers_never_show() {
    fn check(name: &str, lengths: &[usize], op: impl Fn() -> Vec<Tensor<f32>>) {
        recycle::clear();
        let want: Vec<Vec<u32>> = op().iter().map(bits).collect();
        recycle::clear();
        let poison: Vec<Tensor<f32>> = lengths
            .iter()
            .map(|&n| Tensor::full(&[n], f32::NAN))
            .collect();
        let addresses: Vec<usize> = poison.iter().map(address).collect();
        drop(poison);
        let got = op();
        assert!(
            addresses.contains(&address(&got[0])),
            "{name}: the result did not take a released buffer"
        );
        let got: Vec<Vec<u32>> = got.iter().map(bits).collect();
        assert_eq!(got, want, "{name}: a recycled buffer changed the result");
    }
    fn bits(t: &Tensor<f32>) -> Vec<u32> {
        t.to_vec().iter().map(|x| x.to_bits()).collect()
    }
    fn address(t: &Tensor<f32>) -> usize {
        t.as_slice().expect("contiguous").as_ptr() as usize
    }
    let a = ramp(&[64, 128]);
    let b = ramp(&[3, 50, 30]).mul_scalar(1e-3);
    let m = ramp(&[3, 40, 50]).mul_scalar(1e-3);
    check("map of a transposed view", &[8192], || {
        vec![a.t().mul_scalar(2.0)]
    });
    check("broadcast add", &[8192], || vec![&a + &ramp(&[128])]);
    check("batched matmul", &[3600], || vec![m.matmul(&b)]);
    let w = ramp(&[128, 128]).mul_scalar(1e-3);
    check("matmul", &[8192], || vec![a.matmul(&w)]);
    // The bias is written into the buffer first, then the product added onto it.
    check(
        "linear",
        &[8192],
        || vec![a.linear(&w, Some(&ramp(&[128])))],
    );
    check("matmul with k = 0", &[4096], || {
        vec![Tensor::zeros(&[64, 0]).matmul(&Tensor::zeros(&[0, 64]))]
    });
    check("concat", &[8192], || {
        vec![Tensor::concat(
            &[&a.narrow(1, 0, 100), &a.narrow(1, 100, 28)],
            1,
        )]
    });
    check("pad", &[8192], || vec![a.narrow(1, 5, 100).pad(1, 5, 128)]);
    check("sum over an axis", &[4096], || {
        vec![ramp(&[4, 64, 64]).sum_axes(&[0], false)]
    });
    // Softmax is composed of three full-size ops (shift, exp, divide): three buffers.
    let small = a.mul_scalar(1e-4);
    check("softmax", &[8192; 3], || vec![small.softmax(-1)]);
    check("index_select", &[8192], || {
        vec![a.index_select(0, &(0..64).rev().collect::<Vec<_>>())]
    });
    let x = ramp(&[2, 3, 20, 20]).mul_scalar(1e-3);
    let w = ramp(&[8, 3, 3, 3]).mul_scalar(1e-2);
    check("conv2d", &[5184], || {
        vec![x.conv2d(&w, Conv2dParams::default())]
    });
    // The LSTM sequence op: output and gates, then the backward's gate gradient and its
    // previous-state buffers, with the gates given and recomputed.
    let (steps, n, h) = (5, 40, 16);
    let xw = ramp(&[steps, n, 4 * h]).mul_scalar(1e-4);
    let w_hh = ramp(&[4 * h, h]).mul_scalar(1e-3);
    let (h0, c0) = (Tensor::zeros(&[n, h]), Tensor::ones(&[n, h]));
    let (out_len, gates_len, state_len) = (steps * n * 2 * h, steps * n * 4 * h, steps * n * h);
    check("lstm_sequence", &[out_len, gates_len], || {
        let (out, gates) = xw.lstm_sequence_with_gates(&w_hh, &h0, &c0, false);
        vec![out, gates]
    });
    let (out, gates) = xw.lstm_sequence_with_gates(&w_hh, &h0, &c0, false);
    let g = ramp(&[steps, n, 2 * h]).mul_scalar(1e-4);
    for saved in [Some(&gates), None] {
        check(
            "lstm_sequence_backward",
            &[gates_len, state_len, state_len],
            || {
                let (dxw, dw, dh0, dc0) =
                    g.lstm_sequence_backward(&xw, &w_hh, &h0, &c0, &out, saved, false);
                vec![dxw, dw, dh0, dc0]
            },
        );
    }
}
