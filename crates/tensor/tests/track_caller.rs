//! Shape panics point at the caller's line (`#[track_caller]`), not into the library.
//! Its own test binary: it installs a panic hook, which is process-wide.

use std::sync::{Arc, Mutex};

use tensor::Tensor;

#[test]
fn shape_panics_report_the_callers_file() {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = Arc::clone(&seen);
    std::panic::set_hook(Box::new(move |info| {
        if let Some(loc) = info.location() {
            log.lock()
                .unwrap()
                .push(format!("{}:{}", loc.file(), loc.line()));
        }
    }));
    let a = Tensor::<f32>::zeros(&[2, 3]);
    let cases: Vec<Box<dyn Fn() + std::panic::RefUnwindSafe>> = vec![
        Box::new(|| drop(a.reshape(&[4]))),
        Box::new(|| drop(&a + &Tensor::zeros(&[4]))),
        Box::new(|| drop(a.matmul(&a))),
        Box::new(|| drop(a.linear(&a.t(), None))),
        Box::new(|| drop(a.sum(5, false))),
        Box::new(|| drop(a.broadcast_to(&[3]))),
    ];
    for case in &cases {
        assert!(std::panic::catch_unwind(case).is_err());
    }
    let _ = std::panic::take_hook();
    let files = seen.lock().unwrap().clone();
    assert_eq!(files.len(), cases.len());
    for f in files {
        assert!(
            f.contains("track_caller.rs:"),
            "a panic was reported at {f}, inside the library"
        );
    }
}
