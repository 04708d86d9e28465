//! Memory: many forward/backward steps do not grow the process. Its own test binary, so
//! that no other test allocates in the same process while it measures.

use autograd::{Param, Tape};
use tensor::Tensor;

#[test]
fn memory_does_not_grow_over_many_steps() {
    fn rss_kib() -> usize {
        let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
        statm
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<usize>().ok())
            .unwrap_or(0)
            * 4
    }
    let w = Param::new("w", Tensor::<f32>::ones(&[16, 16]));
    let x = Tensor::<f32>::ones(&[8, 16]);
    let step = || {
        let grads = {
            let tape = Tape::new();
            let y = tape
                .constant(x.clone())
                .matmul(tape.param(&w))
                .tanh()
                .sum_all();
            y.backward()
        };
        // The tape is gone, so the parameter's storage is unique: updated in place.
        w.write().axpy(-1e-6, &grads[&w]);
    };
    for _ in 0..1000 {
        step();
    }
    let before = rss_kib();
    for _ in 0..10_000 {
        step();
    }
    let after = rss_kib();
    if cfg!(target_os = "linux") {
        // On Linux /proc is always there: an unreadable one must fail, not pass.
        assert!(
            before > 0,
            "cannot read /proc/self/statm, so nothing was measured"
        );
    } else if before == 0 {
        eprintln!("memory test: no /proc on this system; RSS not measured");
        return;
    }
    assert!(
        after <= before + 1024,
        "RSS grew from {before} KiB to {after} KiB"
    );
}
