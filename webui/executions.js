// One workflow execution, read back from the workflow's log group: the graph of its ASL with the
// path it took (as the console's graph view shows), each state's input and output on click, and
// the history events.
"use strict";

(() => {
  const { api, el, formatTime } = FW;
  const $ = (id) => document.getElementById(id);
  const query = new URLSearchParams(window.location.search);
  const arn = query.get("arn") || "";
  // The frame's capture time: the API reads the workflow's log from there on, not the whole retention.
  const since = query.get("since") || "";

  function summary(execution) {
    const rows = [
      ["Status", execution.status], ["Name", execution.name],
      ["State machine", execution.state_machine_arn], ["Started", formatTime(execution.start_date)],
      ["Stopped", execution.stop_date ? formatTime(execution.stop_date) : "—"],
      ["Error", execution.error], ["Cause", execution.cause],
    ];
    const list = $("exec-summary");
    const items = rows.filter(([, v]) => v).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]);
    if (execution.console_url) {  // on AWS: the Express execution in the Step Functions console
      const link = el("a", { href: execution.console_url, target: "_blank", rel: "noopener", id: "exec-console" },
        "Open in the Step Functions console");
      items.push(el("dt", {}, "Console"), el("dd", {}, link));
    }
    list.replaceChildren(...items);
    list.hidden = false;
  }

  function detail(event) {
    return Object.entries(event.detail || {}).map(([k, v]) => {
      const text = String(v);
      return k + ": " + (text.length > 160 ? text.slice(0, 160) + "…" : text);
    }).join("\n");
  }

  // What the history says about each state: runs (input/output per visit), failed, caught.
  function statesSeen(events, execution) {
    const seen = new Map();
    const of = (name) => {
      if (!seen.has(name)) seen.set(name, { runs: [], failed: false, open: 0 });
      return seen.get(name);
    };
    let current = [];
    for (const e of events) {
      if (e.type.endsWith("StateEntered") && e.state) {
        of(e.state).runs.push({ input: e.detail.input, output: undefined });
        of(e.state).open += 1;
        current.push(e.state);
      } else if (e.type.endsWith("StateExited") && e.state) {
        const runs = of(e.state).runs;
        const open = runs.find((r) => r.output === undefined) || runs[runs.length - 1];
        if (open) open.output = e.detail.output ?? "";
        of(e.state).open -= 1;
        current = current.filter((n) => n !== e.state);
      } else if (/Failed$|TimedOut$/.test(e.type) && !e.type.startsWith("Execution") && current.length) {
        of(current[current.length - 1]).failed = true;
      }
    }
    if (execution.status !== "SUCCEEDED" && execution.status !== "RUNNING") {
      for (const [, info] of seen) if (info.open > 0) info.failed = true; // never left: where it stopped
    }
    return seen;
  }

  // States in the order the workflow reaches them from StartAt (Next, Default, Choices, Catch).
  function ordered(machine) {
    const order = [];
    const visit = (name) => {
      if (!name || order.includes(name) || !machine.States[name]) return;
      order.push(name);
      const s = machine.States[name];
      visit(s.Next); visit(s.Default);
      (s.Choices || []).forEach((c) => visit(c.Next));
      (s.Catch || []).forEach((c) => visit(c.Next));
    };
    visit(machine.StartAt);
    Object.keys(machine.States).forEach(visit);
    return order;
  }

  function drawMachine(machine, seen, select) {
    const list = el("ol", { class: "graph-states" });
    for (const name of ordered(machine)) {
      const s = machine.States[name];
      const info = seen.get(name);
      const caught = (s.Catch || []).some((c) => seen.has(c.Next)) && info && info.failed;
      const classes = ["graph-state"];
      if (info) classes.push("visited");
      if (info && info.failed && !caught) classes.push("failed");
      if (caught) classes.push("caught");
      const nexts = [s.Next, s.Default, ...(s.Choices || []).map((c) => c.Next)].filter(Boolean);
      const catches = (s.Catch || []).map((c) => c.Next);
      const box = el("button", { type: "button", class: "graph-box", "data-state": name },
        el("span", { class: "graph-name" }, name), el("span", { class: "graph-type" }, s.Type));
      box.addEventListener("click", () => select(name));
      const item = el("li", { class: classes.join(" "), "data-state": name }, box);
      if (nexts.length || catches.length || s.End) {
        item.append(el("p", { class: "graph-next" },
          (s.End ? "end" : "→ " + nexts.join(" | ")) + (catches.length ? "   ⚠ catch → " + catches.join(" | ") : "")));
      }
      const inner = [...(s.Branches || []), s.ItemProcessor || s.Iterator].filter(Boolean);
      if (inner.length) {
        item.append(el("div", { class: "graph-inner" }, ...inner.map((m) => drawMachine(m, seen, select))));
      }
      list.append(item);
    }
    return list;
  }

  function graph(execution, events) {
    let machine = null;
    try { machine = execution.definition ? JSON.parse(execution.definition) : null; } catch { machine = null; }
    const section = $("exec-graph");
    if (!machine) { section.hidden = true; return; }
    const seen = statesSeen(events, execution);
    const select = (name) => {
      const info = seen.get(name);
      const runs = info ? info.runs : [];
      $("state-detail").replaceChildren(el("h3", {}, name),
        runs.length ? el("div", {}, ...runs.map((r, n) => el("div", { class: "state-run" },
          el("p", {}, runs.length > 1 ? `Visit ${n + 1}` : ""),
          el("h4", {}, "Input"), el("pre", { class: "state-input" }, r.input ?? ""),
          el("h4", {}, "Output"), el("pre", { class: "state-output" }, r.output ?? "(did not finish)"))))
          : el("p", {}, "This execution did not enter this state."));
      $("state-detail").hidden = false;
    };
    $("graph-canvas").replaceChildren(drawMachine(machine, seen, select));
    section.hidden = false;
  }

  async function load() {
    if (!arn) {
      $("exec-status").textContent = "No execution given (expected ?arn=...).";
      return;
    }
    try {
      const { execution, events } = await api("/executions/" + encodeURIComponent(arn)
        + (since ? "?since=" + encodeURIComponent(since) : ""));
      $("exec-status").textContent = execution.execution_arn;
      summary(execution);
      graph(execution, events);
      $("exec-events").replaceChildren(...events.map((e) => el("tr", {},
        el("td", {}, String(e.id)), el("td", {}, formatTime(e.timestamp)), el("td", {}, e.type),
        el("td", {}, e.state || ""), el("td", {}, el("pre", { class: "detail" }, detail(e))))));
      if (execution.status === "RUNNING") setTimeout(load, 2000);
    } catch (err) {
      $("exec-status").textContent = "Could not load this execution: " + err.message;
      $("exec-status").classList.add("problem");
    }
  }

  FW.setupKeyBanner();
  FW.onKeyChange(load);
  load();
})();
