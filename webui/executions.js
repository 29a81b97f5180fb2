// One workflow execution's summary and history (DescribeExecution + GetExecutionHistory).
"use strict";

(() => {
  const { api, el, formatTime } = FW;
  const $ = (id) => document.getElementById(id);
  const arn = new URLSearchParams(window.location.search).get("arn") || "";

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

  async function load() {
    if (!arn) {
      $("exec-status").textContent = "No execution given (expected ?arn=...).";
      return;
    }
    try {
      const { execution, events } = await api("/executions/" + encodeURIComponent(arn));
      $("exec-status").textContent = execution.execution_arn;
      summary(execution);
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
