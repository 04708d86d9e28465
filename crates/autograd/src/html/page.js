// The tape page's script (html.rs writes the page and the TAPE object before this).
// It only switches what is shown: which entry of the backward trace is current (Step,
// Back, Reset, the arrow keys, or #step=K in the address) and which node's details the
// side panel shows (a click, or #select=N). Every text it shows comes from TAPE.
(function () {
  "use strict";
  const root = document.getElementById("tape");
  const entries = TAPE.entries;
  const panel = document.getElementById("panel");
  let step = 0;
  let selected = null;

  function element(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // The entry shown: 0 is before backward (forward values only), k is entries[k - 1].
  function current() {
    return step > 0 ? entries[step - 1] : null;
  }

  function showGraph() {
    const entry = current();
    root.dataset.step = String(step);
    root.dataset.activeNode = entry && entry.node !== null ? String(entry.node) : "";
    root.dataset.receiving = entry ? entry.targets.join(" ") : "";
    for (const n of TAPE.nodes) {
      const g = document.getElementById("node-" + n.id);
      g.classList.toggle("active", entry !== null && entry.node === n.id);
      g.classList.toggle("receiving", entry !== null && entry.targets.includes(n.id));
      g.classList.toggle("done", n.ownEntry !== null && n.ownEntry < step);
      g.classList.toggle("selected", selected === n.id);
      const known = n.grad !== null && n.gradAt !== null && n.gradAt <= step;
      document.getElementById("grad-" + n.id).textContent = known ? "grad " + n.grad : "";
    }
    TAPE.edges.forEach(function (_, k) {
      const e = document.getElementById("edge-" + k);
      e.classList.remove("flowing");
      e.querySelector("text").textContent = "";
    });
    if (entry) {
      for (const [k, contribution] of entry.flows) {
        const e = document.getElementById("edge-" + k);
        e.classList.add("flowing");
        e.querySelector("text").textContent = "\u2191 " + contribution;
      }
    }
  }

  function showTrace() {
    let first = null;
    for (const line of document.querySelectorAll("#trace .line[data-entry]")) {
      const k = Number(line.dataset.entry);
      line.classList.toggle("current", k === step);
      line.classList.toggle("past", k < step);
      if (k === step && first === null) first = line;
    }
    const trace = document.getElementById("trace");
    if (first) trace.scrollTop = Math.max(0, first.offsetTop - trace.offsetTop - 24);
    const entry = current();
    let text = "before backward: the forward values only";
    if (entry !== null && entry.node !== null) {
      text = "step " + step + " of " + TAPE.entries.length + ": %" + entry.node;
    } else if (entry !== null) {
      text = "step " + step + " of " + TAPE.entries.length + ": sums for the inputs";
    }
    document.getElementById("counter").textContent = text;
    document.getElementById("back").disabled = step === 0;
    document.getElementById("reset").disabled = step === 0;
    document.getElementById("step").disabled = step === entries.length;
  }

  function row(list, term, value, pre) {
    list.appendChild(element("dt", "", term));
    const dd = element("dd");
    dd.appendChild(pre ? element("pre", "", value) : document.createTextNode(value));
    list.appendChild(dd);
  }

  function showPanel() {
    panel.replaceChildren();
    if (selected === null) {
      panel.appendChild(element("p", "hint", "Click a node to see its details."));
      return;
    }
    const n = TAPE.nodes[selected];
    panel.dataset.node = String(n.id);
    panel.appendChild(element("h2", "", n.title));
    const list = element("dl");
    if (n.label) row(list, "label", n.label, false);
    row(list, "shape", n.shape, false);
    row(list, "value", n.value, true);
    const grad = n.gradFull !== null ? n.gradFull : "none: a constant, or the output does not depend on it";
    row(list, "gradient", grad, true);
    panel.appendChild(list);

    panel.appendChild(element("h3", "", "Received in backward (upstream \u00d7 local = contribution)"));
    if (n.received.length === 0) {
      panel.appendChild(element("p", "none", n.ownEntry === 1 ? "the output: seeded with 1" : "nothing"));
    } else {
      const ul = element("ul");
      for (const [k, line] of n.received) {
        ul.appendChild(element("li", k === step ? "current" : "", "step " + k + ": " + line));
      }
      panel.appendChild(ul);
    }

    panel.appendChild(element("h3", "", "Local derivatives it used to send its gradient on"));
    if (n.ownEntry === null) {
      panel.appendChild(element("p", "none", "none: a leaf or parameter runs no backward step"));
    } else if (n.locals.length === 0) {
      const why = "step " + n.ownEntry + "; not written out (values of more than one element)";
      panel.appendChild(element("p", "none", why));
    } else {
      const ul = element("ul");
      for (const local of n.locals) {
        ul.appendChild(element("li", n.ownEntry === step ? "current" : "", "step " + n.ownEntry + ": " + local));
      }
      panel.appendChild(ul);
    }
  }

  function show() {
    showGraph();
    showTrace();
    showPanel();
    const hash = "#step=" + step + (selected !== null ? "&select=" + selected : "");
    if (location.hash !== hash) history.replaceState(null, "", hash);
  }

  function go(k) {
    step = Math.max(0, Math.min(entries.length, k));
    show();
  }

  function select(id) {
    selected = id;
    show();
  }

  // #step=K&select=N opens the page at entry K with node %N selected.
  const params = new URLSearchParams(location.hash.slice(1));
  const k = Number.parseInt(params.get("step") || "0", 10);
  const id = Number.parseInt(params.get("select") || "", 10);
  step = Number.isInteger(k) ? Math.max(0, Math.min(entries.length, k)) : 0;
  selected = Number.isInteger(id) && id >= 0 && id < TAPE.nodes.length ? id : null;

  document.getElementById("step").addEventListener("click", function () { go(step + 1); });
  document.getElementById("back").addEventListener("click", function () { go(step - 1); });
  document.getElementById("reset").addEventListener("click", function () { go(0); });
  for (const n of TAPE.nodes) {
    const g = document.getElementById("node-" + n.id);
    g.addEventListener("click", function () { select(n.id); });
    g.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") select(n.id);
    });
  }
  document.addEventListener("keydown", function (event) {
    if (event.target.tagName === "BUTTON" && (event.key === "Enter" || event.key === " ")) return;
    if (event.key === "ArrowRight") go(step + 1);
    else if (event.key === "ArrowLeft") go(step - 1);
    else if (event.key === "Home") go(0);
  });
  show();
})();
