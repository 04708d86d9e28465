//! The interactive tape page (`Tape::to_html`), in a real browser: the page for a known
//! neuron, y = tanh(w·x + b), is opened in headless Chromium at several steps of the
//! backward walk (`#step=K&select=N` in the address), and the DOM after the page's
//! script ran (`--dump-dom`) must show the neuron's values and gradients and highlight
//! the node each step processes. The expected numbers come from the maths written here
//! (tanh and its derivative 1 − y²), not from the tape.
//!
//! Where Chromium is not installed (`.ci/run` installs the `chromium` package), the
//! browser test prints why it is skipped and passes; `WENGERT_CHROMIUM` names another
//! binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use autograd::Tape;
use tensor::Tensor;

const X: f64 = 1.5;
const W: f64 = 0.8;
const B: f64 = -0.5;

/// The neuron's numbers by hand: y = tanh(w·x + b), dy/dn = 1 − y², dy/dw = (1 − y²)·x,
/// dy/dx = (1 − y²)·w, dy/db = 1 − y².
struct Expected {
    y: f64,
    dn: f64,
    dw: f64,
    dx: f64,
}

fn expected() -> Expected {
    let y = (W * X + B).tanh();
    let dn = 1.0 - y * y;
    Expected {
        y,
        dn,
        dw: dn * X,
        dx: dn * W,
    }
}

/// The page for the neuron. Its nodes: %0 x, %1 w, %2 b, %3 = mul %0 %1, %4 = add %3 %2,
/// %5 = tanh %4; its backward steps: %5, %4, %3, then the sums for x, w, b.
fn neuron_page() -> String {
    let tape = Tape::new();
    let x = tape.var(Tensor::scalar(X)).label("x");
    let w = tape.var(Tensor::scalar(W)).label("w");
    let b = tape.var(Tensor::scalar(B)).label("b");
    let y = (x * w + b).tanh().label("y");
    let (_, trace) = y.backward_traced();
    tape.to_html(&trace)
}

fn n4(v: f64) -> String {
    format!("{v:.4}")
}

#[test]
fn the_page_is_self_contained_and_carries_the_trace() {
    let page = neuron_page();
    let e = expected();
    for needle in ["http:", "https:", "<link", "src=", "@import"] {
        assert!(!page.contains(needle), "the page loads something: {needle}");
    }
    assert!(page.contains(&format!("value {}", n4(e.y))));
    assert!(page.contains(&format!("× (1 − {}²) = {}", n4(e.y), n4(e.dn))));
    assert!(page.contains(&format!(
        "sends to %1: {} × {} = {}",
        n4(e.dn),
        n4(X),
        n4(e.dw)
    )));
    assert!(page.contains(&format!("%0 (x): {}", n4(e.dx))));
}

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("WENGERT_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// The DOM of `page#fragment` after its script ran, from headless Chromium.
fn dump_dom(browser: &Path, page: &Path, fragment: &str, scratch: &Path) -> String {
    let profile = scratch.join(format!("profile-{}", fragment.replace(['=', '&'], "-")));
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}#{fragment}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    // A guard against a browser that never exits, not a measurement.
    let start = Instant::now();
    while child.try_wait().expect("wait for chromium").is_none() {
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium did not exit within 120 s for #{fragment}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().expect("chromium output");
    assert!(
        out.status.success(),
        "chromium failed for #{fragment}: {}",
        out.status
    );
    String::from_utf8(out.stdout).expect("the DOM is UTF-8")
}

/// The value of attribute `name` in the start tag that contains `marker`.
fn attribute(dom: &str, marker: &str, name: &str) -> String {
    let at = dom
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in the DOM"));
    let start = dom[..at].rfind('<').expect("a start tag");
    let tag = &dom[start..start + dom[start..].find('>').expect("the tag's end")];
    let key = format!("{name}=\"");
    let from = tag
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {tag}"))
        + key.len();
    tag[from..from + tag[from..].find('"').expect("the value's end")].to_string()
}

/// The text from the start tag with this id to the next `end` tag, tags removed.
fn text_of(dom: &str, id: &str, end: &str) -> String {
    let marker = format!("id=\"{id}\"");
    let at = dom
        .find(&marker)
        .unwrap_or_else(|| panic!("no {marker} in the DOM"));
    let start = dom[at..].find('>').expect("the tag's end") + at + 1;
    let rest = &dom[start..];
    let end = rest.find(end).unwrap_or(rest.len());
    let mut text = String::new();
    let mut in_tag = false;
    for c in rest[..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

#[test]
fn stepping_in_a_real_browser_highlights_each_node_and_shows_the_neurons_numbers() {
    let Some(browser) = chromium() else {
        println!("skipped: chromium not found (install the `chromium` package)");
        eprintln!("skipped: chromium not found (install the `chromium` package)");
        return;
    };
    let scratch = std::env::temp_dir().join(format!("wengert-html-page-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch directory");
    let page = scratch.join("neuron.html");
    std::fs::write(&page, neuron_page()).expect("write the page");
    let e = expected();
    let dom = |fragment: &str| dump_dom(&browser, &page, fragment, &scratch);

    // Before backward: nothing highlighted, no gradients shown, the output selected.
    let before = dom("step=0&select=5");
    assert_eq!(attribute(&before, "id=\"tape\"", "data-step"), "0");
    assert_eq!(attribute(&before, "id=\"tape\"", "data-active-node"), "");
    assert_eq!(text_of(&before, "grad-5", "</text>"), "");
    let panel = text_of(&before, "panel", "</aside>");
    assert!(panel.contains(&format!("tensor({})", n4(e.y))), "{panel}");
    assert!(panel.contains("gradienttensor(1.0000)"), "{panel}");
    assert!(
        panel.contains(&format!("d%5/d%4 = (1 − {}²)", n4(e.y))),
        "{panel}"
    );
    assert!(text_of(&before, "node-5", "</g>").contains(&format!("value {}", n4(e.y))));

    // Step 1 processes the output %5 (tanh); step 2 the sum %4, which sends to %3 and %2.
    let first = dom("step=1");
    assert_eq!(attribute(&first, "id=\"tape\"", "data-active-node"), "5");
    assert_eq!(attribute(&first, "id=\"node-5\"", "class"), "node active");
    assert_eq!(attribute(&first, "id=\"tape\"", "data-receiving"), "4");
    assert_eq!(text_of(&first, "grad-5", "</text>"), "grad 1.0000");
    let second = dom("step=2&select=4");
    assert_eq!(attribute(&second, "id=\"tape\"", "data-active-node"), "4");
    assert_eq!(
        attribute(&second, "id=\"node-4\"", "class"),
        "node active selected"
    );
    assert_eq!(attribute(&second, "id=\"node-5\"", "class"), "node done");
    assert_eq!(attribute(&second, "id=\"tape\"", "data-receiving"), "3 2");
    assert_eq!(
        text_of(&second, "grad-4", "</text>"),
        format!("grad {}", n4(e.dn))
    );
    let panel = text_of(&second, "panel", "</aside>");
    let received = format!(
        "step 1: sends to %4: 1.0000 × (1 − {}²) = {}",
        n4(e.y),
        n4(e.dn)
    );
    assert!(panel.contains(&received), "{panel}");

    // The last entry: the sums for the inputs, with dy/dw = (1 − y²)·x and dy/dx = (1 − y²)·w.
    let sums = dom("step=4&select=1");
    assert_eq!(attribute(&sums, "id=\"tape\"", "data-active-node"), "");
    assert_eq!(attribute(&sums, "id=\"tape\"", "data-receiving"), "0 1 2");
    assert_eq!(
        text_of(&sums, "grad-1", "</text>"),
        format!("grad {}", n4(e.dw))
    );
    assert_eq!(
        text_of(&sums, "grad-0", "</text>"),
        format!("grad {}", n4(e.dx))
    );
    let panel = text_of(&sums, "panel", "</aside>");
    assert!(panel.contains(&format!("tensor({})", n4(e.dw))), "{panel}");
    let sent = format!(
        "step 3: sends to %1: {} × {} = {}",
        n4(e.dn),
        n4(X),
        n4(e.dw)
    );
    assert!(panel.contains(&sent), "{panel}");
    let _ = std::fs::remove_dir_all(&scratch);
}
