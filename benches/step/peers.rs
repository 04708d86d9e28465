//! The peers of `benches/step.rs`, run in the same process run: burn and candle (programs
//! in `shared/perf/rust-peers`, when built), JAX (`shared/perf/python`, when Python has
//! `jax`), and `peak`, the machine's FMA throughput now, against which the large model's
//! target is checked.

/// The three `shared/perf` models as the peers name them.
const PEER_MODELS: [&str; 3] = [
    "13-64-64-1_mse_adam_b20",
    "64-128-64-10_ce_adam_b32",
    "784-1024-1024-10_ce_sgd_b256",
];

/// The folder holding the peer binaries: `WENGERT_PEERS`, else `shared/perf`'s own target.
fn peers_dir() -> String {
    std::env::var("WENGERT_PEERS")
        .unwrap_or_else(|_| "../shared/perf/rust-peers/target/release".into())
}

/// Runs a program built in [`peers_dir`] with `env`, returning its standard output, or
/// `None` (and says so) when it has not been built.
fn run_built(binary: &str, env: &[(&str, &str)]) -> Option<String> {
    let dir = peers_dir();
    let path = std::path::Path::new(&dir).join(binary);
    if !path.exists() {
        println!("  ({binary} not built in {dir}: no same-run figures for it)");
        return None;
    }
    let out = std::process::Command::new(&path)
        .envs(env.iter().copied())
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs a peer's benchmark program from `shared/perf/rust-peers` if it has been built there
/// (`cargo build --release -p burn-bench --no-default-features --features flex,v4`, and
/// `-p candle-bench`; or set `WENGERT_PEERS` to the folder holding the binaries), and reads
/// its median step times in µs, per model of [`PEER_MODELS`].
fn rust_peer(binary: &str, env: &[(&str, &str)]) -> Option<[Option<f64>; 3]> {
    let mut env = env.to_vec();
    env.push(("WHAT", "mlp"));
    let text = run_built(binary, &env)?;
    Some(PEER_MODELS.map(|model| {
        text.lines()
            .find(|l| l.contains(&format!("step_mlp_{model}")))
            .and_then(|l| l.split_whitespace().nth(2)?.parse().ok())
    }))
}

/// JAX's jitted steps from `shared/perf/python/mlp_step.py`, when Python has `jax`.
fn jax_peer() -> Option<[Option<f64>; 3]> {
    let script = "../shared/perf/python/mlp_step.py";
    if !std::path::Path::new(script).exists() {
        return None;
    }
    let out = std::process::Command::new("python3")
        .args([script, "--libs", "jax", "--configs", "seed,digits,large"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() || !text.contains("mlp_step.jax") {
        println!("  (JAX not available to python3: no same-run figures for it)");
        return None;
    }
    Some(["seed", "digits", "large"].map(|config| {
        text.lines()
            .find(|l| l.starts_with(&format!("mlp_step.jax.{config}.median ")))
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
    }))
}

/// The machine's f32 FMA throughput on two threads with 512-bit vectors, in GFLOP/s, from
/// `shared/perf/rust-peers/peak` (`cargo build --release -p peak`) when it has been built.
fn fma_peak() -> Option<f64> {
    let text = run_built("peak", &[])?;
    text.lines()
        .find(|l| l.starts_with("peak fma512_f32_t2 "))
        .and_then(|l| l.split_whitespace().nth(2)?.parse().ok())
}

/// The large model's products, for the target line: the step's floating-point operations
/// and the time of its matmuls alone through gemm, all row-major (seconds).
pub(crate) struct LargeProducts {
    pub(crate) flops: f64,
    pub(crate) row_major: f64,
}

/// Prints wengert's steps beside the peers measured in this run, as ratios; then, for the
/// large model, what issue #14's target (0.75× the best peer) asks of the machine.
pub(crate) fn peers_table(ours: [Option<f64>; 3], large: Option<LargeProducts>) {
    println!("same-run peers (µs per step; ratio = wengert / peer):");
    let peers = [
        (
            "burn (flex, x86-v4)",
            rust_peer("burn-bench", &[("BACKEND", "flex")]),
        ),
        ("candle", rust_peer("candle-bench", &[])),
        ("JAX jit", jax_peer()),
    ];
    for (i, model) in PEER_MODELS.iter().enumerate() {
        let Some(us) = ours[i] else { continue };
        let mut line = format!("  {model:<30} wengert {us:>9.1}");
        for (name, figures) in &peers {
            if let Some(p) = figures.as_ref().and_then(|f| f[i]) {
                line += &format!("  | {name} {p:>9.1} ({:.2}x)", us / p);
            }
        }
        println!("{line}");
    }
    println!(
        "  reference, issue #14's run (not this one): PyTorch eager 526 / 556 / 10 800 µs, \
         JAX 139 / 182 / 10 900 µs"
    );
    let best = peers
        .iter()
        .filter_map(|(name, f)| Some((*name, f.as_ref()?[2]?)))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    if let (Some(large), Some((name, us))) = (large, best) {
        let target = 0.75 * us * 1e-6;
        let peak = fma_peak();
        println!(
            "  large-model target, 0.75x the best peer ({name}): {:.0} µs, which is {:.0} GFLOP/s \
             for the whole step; the step's products alone through gemm (all row-major) reach \
             {:.0} GFLOP/s ({:.0} µs){}",
            target * 1e6,
            large.flops / target / 1e9,
            large.flops / large.row_major / 1e9,
            large.row_major * 1e6,
            match peak {
                Some(p) => format!(", this machine's FMA peak now is {p:.0} GFLOP/s (2 threads)"),
                None => String::new(),
            }
        );
    }
}
