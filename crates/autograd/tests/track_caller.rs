//! Shape panics in `Var` ops point at the caller's line (`#[track_caller]`). Its own test
//! binary: it installs a panic hook, which is process-wide.

use std::sync::{Arc, Mutex};

use autograd::Tape;
use tensor::{Conv2dParams, Pool2d, Tensor};

#[test]
fn var_shape_panics_report_the_callers_file() {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = Arc::clone(&seen);
    std::panic::set_hook(Box::new(move |info| {
        if let Some(loc) = info.location() {
            log.lock()
                .unwrap()
                .push(format!("{}:{}", loc.file(), loc.line()));
        }
    }));
    let tape = Tape::<f64>::new();
    let a = tape.var(Tensor::zeros(&[2, 3]));
    let b = tape.var(Tensor::zeros(&[4]));
    let other = Tape::<f64>::new();
    let c = other.var(Tensor::zeros(&[2, 3]));
    let cases: Vec<Box<dyn Fn() + '_>> = vec![
        Box::new(|| {
            let _ = a + b;
        }),
        Box::new(|| {
            let _ = a.matmul(a);
        }),
        Box::new(|| {
            let _ = a.linear(b, None);
        }),
        Box::new(|| {
            let _ = a.linear(c, None);
        }),
        Box::new(|| {
            let _ = a.sum(5, false);
        }),
        Box::new(|| {
            let _ = a.softmax(2);
        }),
        Box::new(|| {
            let _ = a * c;
        }),
        Box::new(|| {
            let _ = a.reshape(&[5]);
        }),
        Box::new(|| {
            let _ = a.broadcast_to(&[3]);
        }),
        Box::new(|| {
            let _ = a.squeeze(0);
        }),
        Box::new(|| {
            let _ = a.transpose(0, 4);
        }),
        Box::new(|| {
            let _ = a.conv2d(a, Conv2dParams::default());
        }),
        Box::new(|| {
            let _ = a.conv1d(a, 1, 0, 1, 1);
        }),
        Box::new(|| {
            let _ = a.max_pool2d(Pool2d::new(2));
        }),
        Box::new(|| {
            let _ = a.avg_pool2d(Pool2d::new(2));
        }),
        Box::new(|| {
            let _ = a.conv_transpose2d(a, Conv2dParams::default(), [3, 3]);
        }),
    ];
    let n = cases.len();
    for case in &cases {
        assert!(std::panic::catch_unwind(std::panic::AssertUnwindSafe(case)).is_err());
    }
    let _ = std::panic::take_hook();
    let files = seen.lock().unwrap().clone();
    assert_eq!(files.len(), n);
    for f in files {
        assert!(
            f.contains("track_caller.rs:"),
            "a panic was reported at {f}, inside the library"
        );
    }
}
