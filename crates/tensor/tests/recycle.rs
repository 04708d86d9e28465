//! Storage recycling (`tensor::recycle`): released buffers come back only when nothing
//! else holds them, recycled results hold exactly what fresh ones would, and the
//! capacity bounds what is kept. One test function, because the capacity is global to
//! the process and the test harness runs functions on parallel threads.

use tensor::{recycle, Tensor};

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

    // Ops that overwrite (map, zip, matmul, concat, a sum's identity fill) on stale buffers.
    let a = ramp(&SHAPE);
    drop(ramp(&SHAPE));
    let doubled = a.mul_scalar(2.0);
    assert_eq!(doubled.to_vec()[7], 14.0);
    drop(ramp(&SHAPE));
    let sum = &a + &a;
    assert_eq!(sum.to_vec(), doubled.to_vec());
    // A matmul with k = 0 is all zeros, even in a recycled buffer.
    drop(ramp(&SHAPE));
    let empty_k = Tensor::<f32>::zeros(&[64, 0]).matmul(&Tensor::zeros(&[0, 512]));
    assert!(empty_k.to_vec().iter().all(|&x| x == 0.0));
    // concat along axis 1 of two [64, 256] halves is the ramp again.
    drop(ramp(&SHAPE));
    let (left, right) = (a.narrow(1, 0, 256), a.narrow(1, 256, 256));
    assert_eq!(Tensor::concat(&[&left, &right], 1).to_vec(), a.to_vec());
    // A sum over a [2, 64, 512] tensor's first axis fills its [64, 512] result with 0
    // before adding.
    drop(ramp(&SHAPE));
    let two = Tensor::stack(&[&a, &a], 0);
    assert_eq!(two.sum_axes(&[0], false).to_vec(), doubled.to_vec());

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
    recycle::set_capacity(0);
    recycle::clear();
    drop(ramp(&SHAPE));
    assert_eq!(recycle::cached_bytes::<f32>(), 0);
    recycle::set_capacity(old);

    // Another thread has its own pool.
    recycle::clear();
    std::thread::spawn(|| drop(ramp(&SHAPE))).join().unwrap();
    assert_eq!(recycle::cached_bytes::<f32>(), 0);
}
