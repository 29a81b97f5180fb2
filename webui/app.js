// framewatch web UI: camera wall, incidents and their frames, photo analysis and people, kept fresh by polling.
"use strict";

(() => {
  const { el, safeUrl, formatTime, ago, sleep } = FW;
  // Every successful call proves the connection, whichever tab made it.
  const api = async (...args) => {
    const body = await FW.api(...args);
    connection(true);
    return body;
  };
  const $ = (id) => document.getElementById(id);
  const STATUS_TEXT = {
    pending: "pending", enrolled: "enrolled", no_face: "no face found",
    several_faces: "several faces", failed: "failed",
  };

  // --- polling with backoff ----------------------------------------------------------------

  const pollers = {};
  /** Runs `task` every `everyMs` while its tab is shown; failures back off up to 30 s. */
  function poller(name, task, everyMs) {
    const poll = { timer: null, delay: everyMs, active: false };
    async function tick() {
      poll.timer = null;
      if (!poll.active) return;
      try {
        await task();
        poll.delay = everyMs;
        connection(true);
      } catch (err) {
        poll.delay = Math.min(poll.delay * 2, 30000);
        connection(false, err, poll.delay);
      }
      if (poll.active && !poll.timer) poll.timer = setTimeout(tick, document.hidden ? 15000 : poll.delay);
    }
    poll.start = () => {
      poll.active = true;
      if (!poll.timer) tick();
    };
    poll.stop = () => {
      poll.active = false;
      clearTimeout(poll.timer);
      poll.timer = null;
    };
    poll.now = () => {
      clearTimeout(poll.timer);
      poll.timer = null;
      if (poll.active) tick();
    };
    pollers[name] = poll;
    return poll;
  }

  function connection(ok, err, retryMs) {
    const node = $("connection");
    node.classList.toggle("offline", !ok);
    node.textContent = ok
      ? "Live · updated " + new Date().toLocaleTimeString()
      : (err && err.message ? err.message : "Connection problem") + (retryMs ? " · retrying in " + Math.round(retryMs / 1000) + " s" : "");
  }

  // --- frames with boxes -------------------------------------------------------------------

  const pct = (ratio) => (Math.min(Math.max(Number(ratio) || 0, 0), 1) * 100).toFixed(3) + "%";

  function boxNode(box, kind, tagText) {
    // Tags of boxes near the right edge hang leftwards so they stay inside the image.
    const side = Number(box.left) > 0.6 ? " tag-right" : "";
    const node = el("div", { class: "box box-" + kind + side, "data-kind": kind },
      el("span", { class: "box-tag" }, tagText));
    node.style.left = pct(box.left);
    node.style.top = pct(box.top);
    node.style.width = pct(Math.min(box.width, 1 - box.left));
    node.style.height = pct(Math.min(box.height, 1 - box.top));
    return node;
  }

  const confidence = (value) => (typeof value === "number" ? " " + Math.round(value) + "%" : "");
  const faceName = (face) => face.person_name || face.person_id || "Unknown face";

  /** A frame with its boxes; `focus` (optional) says which boxes are the subject, the rest are dimmed. */
  function frameMedia(frame, focus) {
    const src = safeUrl(frame.image_url);
    const media = el("div", { class: "frame-media" });
    if (frame.width && frame.height) media.style.aspectRatio = frame.width + " / " + frame.height;
    media.append(src
      ? el("img", { src, alt: "Frame from camera " + frame.camera_id + " at " + formatTime(frame.captured_at), loading: "lazy" })
      : el("div", { class: "no-image" }, "Image unavailable"));
    const mark = (node, isSubject) => {
      if (focus) node.classList.add(isSubject ? "box-focus" : "box-dim");
      return node;
    };
    for (const label of frame.labels || []) {
      for (const instance of label.instances || []) {
        const node = boxNode(instance.box, "label", label.name + confidence(instance.confidence ?? label.confidence));
        media.append(mark(node, focus && focus.label(label)));
      }
    }
    for (const face of frame.faces || []) {
      const similarity = typeof face.similarity === "number" ? " " + Math.round(face.similarity) + "%" : "";
      const node = boxNode(face.box, face.person_id ? "person" : "face", faceName(face) + similarity);
      media.append(mark(node, focus && focus.face(face)));
    }
    return media;
  }

  function labelChips(frame) {
    const chips = el("ul", { class: "chips", "aria-label": "Detected" });
    for (const label of frame.labels || []) {
      chips.append(el("li", { class: "chip" }, label.name, el("span", { class: "muted" }, confidence(label.confidence))));
    }
    for (const face of frame.faces || []) {
      chips.append(el("li", { class: face.person_id ? "chip chip-person" : "chip chip-face" }, faceName(face)));
    }
    return chips;
  }

  function executionLink(frame) {
    const href = safeUrl(frame.execution_url);
    return href ? el("a", { href, class: "exec-link", target: "_blank", rel: "noopener noreferrer" }, "Workflow execution ↗") : null;
  }

  function frameCard(frame, heading) {
    return el("figure", { class: "frame card", "data-frame-id": frame.frame_id },
      heading ? el("h3", { class: "frame-title" }, heading) : null,
      frameMedia(frame),
      el("figcaption", {},
        el("div", { class: "frame-meta" },
          el("span", {}, frame.camera_id),
          el("time", { datetime: frame.captured_at, title: formatTime(frame.captured_at) }, ago(frame.captured_at)),
          executionLink(frame)),
        labelChips(frame)));
  }

  // --- Live: camera wall and recent frames --------------------------------------------------

  const wallTiles = new Map(); // camera_id -> {frameId, node}

  async function refreshCameras() {
    const { cameras } = await api("/cameras");
    const wall = $("camera-wall");
    const select = $("recent-camera");
    const known = new Set([...select.options].map((o) => o.value));
    for (const camera of cameras) {
      const current = wallTiles.get(camera.camera_id);
      if (!current || current.frameId !== camera.latest.frame_id) {
        const node = frameCard(camera.latest, camera.camera_id);
        node.classList.add("tile");
        if (current) current.node.replaceWith(node);
        else wall.append(node);
        wallTiles.set(camera.camera_id, { frameId: camera.latest.frame_id, node });
      }
      if (!known.has(camera.camera_id)) {
        select.append(el("option", { value: camera.camera_id }, camera.camera_id));
      }
    }
    // Refresh "x s ago" of tiles that did not change.
    wall.querySelectorAll("time").forEach((t) => { t.textContent = ago(t.getAttribute("datetime")); });
    $("camera-empty").hidden = cameras.length > 0;
    await refreshCaptureStats();
  }

  // Cameras that `framewatch up --cameras` runs: only the embedded stack answers this path.
  async function refreshCaptureStats() {
    let running = [];
    try {
      ({ cameras: running } = await FW.api("/local/cameras"));
    } catch {
      running = [];
    }
    const table = $("capture-stats");
    table.tBodies[0].replaceChildren(...running.map((c) => el("tr", { "data-camera": c.camera_id },
      el("td", {}, c.camera_id), el("td", {}, c.state), el("td", { class: "sent" }, String(c.sent_per_minute)),
      el("td", {}, String(c.gated_per_minute)), el("td", {}, c.last_frame_at ? ago(c.last_frame_at) : "—"),
      el("td", { class: "restarts" }, String(c.restarts)), el("td", { class: "problem" }, c.last_error || ""))));
    table.hidden = running.length === 0;
  }

  const recent = { ids: new Set(), next: null, camera: "" };

  async function refreshRecent() {
    const query = new URLSearchParams({ limit: "12" });
    if (recent.camera) query.set("camera", recent.camera);
    const page = await api("/frames?" + query);
    const list = $("recent-frames");
    if (recent.ids.size === 0) recent.next = page.next;
    const fresh = page.frames.filter((f) => !recent.ids.has(f.frame_id));
    for (const frame of fresh.reverse()) {
      recent.ids.add(frame.frame_id);
      // Newest first by capture time: a frame recorded after a later one (frames of a batch are
      // analysed in parallel) goes below it, not on top.
      const older = [...list.children].find(
        (card) => (card.querySelector("figcaption time")?.getAttribute("datetime") || "") < frame.captured_at);
      list.insertBefore(frameCard(frame), older || null);
    }
    $("recent-empty").hidden = recent.ids.size > 0;
    $("recent-more").hidden = !recent.next;
  }

  async function loadOlderFrames() {
    if (!recent.next) return;
    const query = new URLSearchParams({ limit: "12", before: recent.next });
    if (recent.camera) query.set("camera", recent.camera);
    const page = await api("/frames?" + query);
    for (const frame of page.frames) {
      if (recent.ids.has(frame.frame_id)) continue;
      recent.ids.add(frame.frame_id);
      $("recent-frames").append(frameCard(frame));
    }
    recent.next = page.next;
    $("recent-more").hidden = !recent.next;
  }

  function resetRecent() {
    recent.ids.clear();
    recent.next = null;
    recent.camera = $("recent-camera").value;
    $("recent-frames").replaceChildren();
    pollers.recent.now();
  }

  // --- Incidents -----------------------------------------------------------------------------

  const FILTERS = ["camera", "label", "severity", "state"];
  const incidents = { nodes: new Map(), signatures: new Map(), next: null, started: false, generation: 0 };

  function timeOfDay(iso) {
    const when = new Date(iso);
    return Number.isNaN(when.getTime()) ? String(iso || "")
      : when.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  /** "09:14:03 – 09:16:40" on one day, full date and time on both ends otherwise. */
  function timeRange(first, last) {
    if (!last || last === first) return formatTime(first);
    const sameDay = new Date(first).toDateString() === new Date(last).toDateString();
    return formatTime(first) + " – " + (sameDay ? timeOfDay(last) : formatTime(last));
  }

  function duration(seconds) {
    if (typeof seconds !== "number" || !Number.isFinite(seconds)) return "";
    const s = Math.round(seconds);
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
    return Math.floor(s / 3600) + " h " + Math.round((s % 3600) / 60) + " min";
  }

  const incidentName = (incident) => incident.person_name || incident.label || incident.rule || "Incident";
  const incidentHref = (id) => "#incident/" + encodeURIComponent(id);

  function severityText(incident) {
    if (incident.severity !== "alert") return "detection";
    if (incident.alert_status === "sent") return "alert sent" + (incident.alert_count > 1 ? " ×" + incident.alert_count : "");
    if (incident.alert_status === "pending") return "alert pending";
    // Cascade: Rekognition did not see what the bundled detector saw, so no alert went out.
    if (incident.alert_status === "dismissed") return "not confirmed, no alert";
    return "alert";
  }

  function incidentBadges(incident) {
    return [
      el("span", { class: "badge badge-" + (incident.state === "active" ? "active" : "ended"), "data-badge": "state" },
        incident.state === "active" ? "active" : "ended"),
      incident.stationary ? el("span", { class: "badge badge-stationary", "data-badge": "stationary" }, "stationary") : null,
      el("span", { class: "badge badge-" + (incident.severity === "alert" ? "alert" : "detection"), "data-badge": "severity" },
        severityText(incident)),
    ];
  }

  /** The boxes an incident is about: its label, or the person (or unknown face) it names. */
  function incidentFocus(incident) {
    const faceIncident = incident.kind === "person" || incident.kind === "unknown_face" || incident.label === "Face";
    return {
      label: (label) => label.name === incident.label,
      face: (face) => faceIncident && (incident.person_id ? face.person_id === incident.person_id : !face.person_id),
    };
  }

  function bestFrameMedia(incident) {
    const best = incident.best_frame || {};
    const src = safeUrl(best.image_url);
    const media = el("div", { class: "frame-media" });
    media.append(src
      ? el("img", { src, alt: incidentName(incident) + " on camera " + incident.camera_id, loading: "lazy" })
      : el("div", { class: "no-image" }, "Image unavailable"));
    if (best.box) {
      const kind = incident.person_id ? "person" : incident.kind === "unknown_face" ? "face" : "label";
      media.append(boxNode(best.box, kind, incidentName(incident) + confidence(best.score)));
    }
    return media;
  }

  function incidentCard(incident) {
    const frames = incident.frame_count === 1 ? "1 frame" : incident.frame_count + " frames";
    return el("li", {
      class: "incident-card card incident-" + (incident.severity === "alert" ? "alert" : "detection"),
      "data-incident-id": incident.incident_id, "data-state": incident.state,
    },
    el("a", { class: "incident-link", href: incidentHref(incident.incident_id) },
      bestFrameMedia(incident),
      el("div", { class: "incident-body" },
        el("h3", { class: "incident-title" }, incidentName(incident)),
        el("div", { class: "badges" }, incidentBadges(incident)),
        el("p", { class: "incident-meta" },
          el("span", { class: "incident-camera" }, incident.camera_id), " · rule ",
          el("span", { class: "incident-rule" }, incident.rule)),
        el("p", { class: "incident-meta" },
          el("time", { class: "incident-when", datetime: incident.first_seen }, timeRange(incident.first_seen, incident.last_seen))),
        el("p", { class: "incident-meta" },
          el("span", { class: "incident-duration" }, duration(incident.duration_s)), " · ",
          el("span", { class: "incident-frames" }, frames)))));
  }

  // What a card shows, without the image URL (its signature changes on every request).
  const signature = (incident) => JSON.stringify({ ...incident, best_frame: { ...incident.best_frame, image_url: null } });

  /** Offer a camera or label seen in an incident as a filter choice, keeping the choices sorted. */
  function rememberOption(selectId, value) {
    const select = $(selectId);
    if (!value || [...select.options].some((o) => o.value === value)) return;
    const chosen = select.value;
    const values = [...select.options].slice(1).map((o) => o.value).concat(value).sort();
    select.replaceChildren(select.options[0], ...values.map((v) => el("option", { value: v }, v)));
    select.value = chosen;
  }

  function incidentQuery(extra) {
    const query = new URLSearchParams({ limit: "24", ...extra });
    for (const name of FILTERS) {
      const value = $("incident-" + name).value;
      if (value) query.set(name, value);
    }
    return query;
  }

  function showIncident(incident, place) {
    rememberOption("incident-camera", incident.camera_id);
    rememberOption("incident-label", incident.label);
    const id = incident.incident_id;
    const sig = signature(incident);
    const existing = incidents.nodes.get(id);
    if (existing && incidents.signatures.get(id) === sig) return existing;
    const node = incidentCard(incident);
    if (existing) existing.replaceWith(node);
    else place(node);
    incidents.nodes.set(id, node);
    incidents.signatures.set(id, sig);
    return node;
  }

  async function refreshIncidents() {
    const generation = incidents.generation;
    const page = await api("/incidents?" + incidentQuery());
    if (generation !== incidents.generation) return; // the filters changed meanwhile
    if (!incidents.started) {
      incidents.next = page.next;
      incidents.started = true;
    }
    // Newest first: a new incident goes after the previous one of this page, or on top.
    let previous = null;
    for (const incident of page.incidents) {
      const after = previous;
      previous = showIncident(incident, (node) => (after ? after.after(node) : $("incident-list").prepend(node)));
    }
    $("incidents-empty").hidden = incidents.nodes.size > 0;
    $("incidents-more").hidden = !incidents.next;
  }

  async function loadOlderIncidents() {
    if (!incidents.next) return;
    const generation = incidents.generation;
    const page = await api("/incidents?" + incidentQuery({ before: incidents.next }));
    if (generation !== incidents.generation) return;
    for (const incident of page.incidents) showIncident(incident, (node) => $("incident-list").append(node));
    incidents.next = page.next;
    $("incidents-more").hidden = !incidents.next;
  }

  function resetIncidents() {
    incidents.generation += 1;
    incidents.nodes.clear();
    incidents.signatures.clear();
    incidents.next = null;
    incidents.started = false;
    $("incident-list").replaceChildren();
    $("incidents-more").hidden = true;
    pollers.incidents.now();
  }

  // --- Incident view: its frames, played with their boxes --------------------------------------

  const PLAY_EVERY_MS = 600;
  const view = { id: null, incident: null, frames: [], next: null, index: 0, timer: null, loading: null, generation: 0 };

  function viewStatus(text, problem) {
    const node = $("incident-status");
    node.textContent = text;
    node.classList.toggle("problem", Boolean(problem));
  }

  async function openIncident(id) {
    if (view.id === id && view.incident) return;
    pause();
    view.generation += 1;
    const generation = view.generation;
    Object.assign(view, { id, incident: null, frames: [], next: null, index: 0, loading: null });
    $("incident-title").textContent = "Incident";
    $("incident-badges").replaceChildren();
    $("incident-summary").replaceChildren();
    $("incident-frame").replaceChildren();
    $("incident-frame-time").textContent = "";
    renderPosition();
    viewStatus("Loading…");
    try {
      const page = await api("/incidents/" + encodeURIComponent(id) + "?limit=50");
      if (generation !== view.generation) return;
      Object.assign(view, { incident: page.incident, frames: page.frames, next: page.next });
      viewStatus(page.frames.length ? "" : "No frames of this incident are stored (any more).");
      renderIncident();
      renderFrame();
    } catch (err) {
      if (generation !== view.generation) return;
      view.id = null; // let a later visit try again
      viewStatus(err.status === 404 ? "There is no such incident (it may have expired)." : "Could not load the incident: " + err.message, true);
    }
  }

  function renderIncident() {
    const incident = view.incident;
    $("incident-title").textContent = incidentName(incident) + " on " + incident.camera_id;
    $("incident-badges").replaceChildren(...incidentBadges(incident).filter(Boolean));
    const rows = [
      ["Camera", incident.camera_id],
      ["Rule", incident.rule],
      ["Seen", timeRange(incident.first_seen, incident.last_seen)],
      ["Duration", duration(incident.duration_s)],
      ["Frames with it", String(incident.frame_count)],
      ["Zones entered", (incident.zones_entered || []).join(" → ") || "none"],
      ["Alerted", incident.alerted_at ? formatTime(incident.alerted_at) : "no"],
    ];
    $("incident-summary").replaceChildren(...rows.flatMap(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]));
  }

  function renderPosition() {
    const total = view.frames.length;
    $("incident-position").textContent = (total ? view.index + 1 : 0) + " / " + total + (view.next ? "+" : "");
    $("incident-step-prev").disabled = view.index <= 0;
    $("incident-step-next").disabled = view.index >= total - 1 && !view.next;
  }

  function renderFrame() {
    const frame = view.frames[view.index];
    renderPosition();
    if (!frame) return;
    const media = frameMedia(frame, incidentFocus(view.incident));
    media.dataset.frameId = frame.frame_id;
    media.querySelector("img")?.removeAttribute("loading");
    $("incident-frame").replaceChildren(media);
    const time = $("incident-frame-time");
    time.setAttribute("datetime", frame.captured_at);
    const offset = (new Date(frame.captured_at) - new Date(view.incident.first_seen)) / 1000;
    time.textContent = formatTime(frame.captured_at) + (Number.isFinite(offset) ? " (+" + duration(offset) + ")" : "");
    // Fetch the next frames' images now so playback does not wait on them.
    for (const next of view.frames.slice(view.index + 1, view.index + 3)) {
      const src = safeUrl(next.image_url);
      if (src) new Image().src = src;
    }
  }

  function loadMoreFrames() {
    if (!view.next) return Promise.resolve(false);
    if (!view.loading) {
      const generation = view.generation;
      const query = new URLSearchParams({ limit: "50", after: view.next });
      view.loading = api("/incidents/" + encodeURIComponent(view.id) + "?" + query).then((page) => {
        if (generation !== view.generation) return false;
        view.frames.push(...page.frames);
        view.next = page.next;
        return page.frames.length > 0;
      }).finally(() => { view.loading = null; });
    }
    return view.loading;
  }

  async function stepNext() {
    if (view.index >= view.frames.length - 1 && !(await loadMoreFrames())) {
      pause(); // the end of the incident
      renderPosition();
      return false;
    }
    view.index += 1;
    renderFrame();
    if (view.frames.length - view.index < 5) loadMoreFrames().then(renderPosition, () => {});
    return true;
  }

  function stepBack() {
    if (view.index <= 0) return;
    view.index -= 1;
    renderFrame();
  }

  function play() {
    if (view.timer || !view.frames.length) return;
    if (view.index >= view.frames.length - 1 && !view.next) view.index = 0; // replay from the start
    renderFrame();
    const tick = async () => {
      if (!view.timer) return;
      const moved = await stepNext().catch((err) => { viewStatus("Could not load more frames: " + err.message, true); return false; });
      if (moved && view.timer) view.timer = setTimeout(tick, PLAY_EVERY_MS);
    };
    view.timer = setTimeout(tick, PLAY_EVERY_MS);
    $("incident-play").textContent = "Pause";
    $("incident-play").setAttribute("aria-pressed", "true");
  }

  function pause() {
    clearTimeout(view.timer);
    view.timer = null;
    $("incident-play").textContent = "Play";
    $("incident-play").setAttribute("aria-pressed", "false");
  }

  function onPlayerKey(event) {
    if ($("incident-view").hidden || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement) return;
    if (event.key === "ArrowRight") {
      event.preventDefault();
      pause();
      stepNext().catch((err) => viewStatus("Could not load more frames: " + err.message, true));
    } else if (event.key === "ArrowLeft") {
      event.preventDefault();
      pause();
      stepBack();
    } else if (event.key === " " && !(target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement)) {
      // On a focused button Space already clicks it.
      event.preventDefault();
      view.timer ? pause() : play();
    }
  }

  // --- Alerts sent ---------------------------------------------------------------------------

  const alerts = { ids: new Set(), next: null, started: false };

  function alertItem(alert) {
    const src = safeUrl(alert.image_url);
    const exec = safeUrl(alert.execution_url);
    return el("li", { class: "alert card", "data-alert-id": alert.alert_id, "data-incident-id": alert.incident_id },
      src ? el("img", { class: "thumb", src, alt: "Frame " + alert.frame_id + " sent with this alert", loading: "lazy" }) : null,
      el("div", { class: "alert-body" },
        el("div", { class: "alert-head" },
          el("time", { datetime: alert.captured_at }, formatTime(alert.captured_at))),
        el("p", { class: "alert-subject" }, alert.subject_line || alert.subject || alert.rule),
        alert.message ? el("p", { class: "muted" }, alert.message) : null,
        el("p", { class: "alert-meta" },
          "Camera ", el("strong", {}, alert.camera_id),
          alert.incident_id ? " · " : null,
          alert.incident_id ? el("a", { href: incidentHref(alert.incident_id), class: "incident-open" }, "Open incident") : null,
          exec ? " · " : null,
          exec ? el("a", { href: exec, target: "_blank", rel: "noopener noreferrer" }, "Workflow execution ↗") : null)));
  }

  async function refreshAlerts() {
    const page = await api("/alerts?limit=20");
    if (!alerts.started) {
      alerts.next = page.next;
      alerts.started = true;
    }
    const fresh = page.alerts.filter((a) => !alerts.ids.has(a.alert_id));
    for (const alert of fresh.reverse()) {
      alerts.ids.add(alert.alert_id);
      $("alert-list").prepend(alertItem(alert));
    }
    $("alerts-empty").hidden = alerts.ids.size > 0;
    $("alerts-more").hidden = !alerts.next;
  }

  async function loadOlderAlerts() {
    if (!alerts.next) return;
    const page = await api("/alerts?" + new URLSearchParams({ limit: "20", before: alerts.next }));
    for (const alert of page.alerts) {
      if (alerts.ids.has(alert.alert_id)) continue;
      alerts.ids.add(alert.alert_id);
      $("alert-list").append(alertItem(alert));
    }
    alerts.next = page.next;
    $("alerts-more").hidden = !alerts.next;
  }

  // --- images from files and the webcam ---------------------------------------------------

  /** A JPEG blob no larger than the workflow accepts; other formats are re-encoded. */
  async function toJpeg(file) {
    if (file.type === "image/jpeg" && file.size <= 4 * 1024 * 1024) return file;
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, 1920 / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return canvasJpeg(canvas);
  }

  const canvasJpeg = (canvas) => new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("could not encode the image"))), "image/jpeg", 0.9));

  function webcam(videoId, panelId) {
    let stream = null;
    return {
      async start() {
        if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
          throw new Error("This browser cannot use a webcam here (it needs https or localhost).");
        }
        stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
        $(videoId).srcObject = stream;
        $(panelId).hidden = false;
      },
      stop() {
        if (stream) stream.getTracks().forEach((track) => track.stop());
        stream = null;
        $(videoId).srcObject = null;
        $(panelId).hidden = true;
      },
      snapshot(canvas) {
        const video = $(videoId);
        const target = canvas || document.createElement("canvas");
        target.width = video.videoWidth;
        target.height = video.videoHeight;
        target.getContext("2d").drawImage(video, 0, 0);
        return canvasJpeg(target);
      },
      get running() { return stream !== null; },
    };
  }

  async function putImage(url, headers, blob) {
    const safe = safeUrl(url);
    if (!safe) throw new Error("the API returned an unusable upload URL");
    const response = await fetch(safe, { method: "PUT", headers, body: blob });
    if (!response.ok) throw new Error("the upload was refused (HTTP " + response.status + ")");
  }

  // --- Analyze a photo -----------------------------------------------------------------------

  const analyzeCam = webcam("analyze-video", "analyze-camera");
  let analyzeRun = 0;

  function analyzeStatus(text, problem) {
    const node = $("analyze-status");
    node.textContent = text;
    node.classList.toggle("problem", Boolean(problem));
  }

  async function analyze(blob) {
    const run = ++analyzeRun;
    $("analyze-result").replaceChildren();
    try {
      analyzeStatus("Uploading…");
      const upload = await api("/uploads", { method: "POST" });
      await putImage(upload.upload_url, upload.upload_headers, await toJpeg(blob));
      analyzeStatus("Uploaded. Waiting for the workflow to analyse it…");
      const started = Date.now();
      let wait = 1000;
      while (run === analyzeRun) {
        try {
          const frame = await api("/frames/" + encodeURIComponent(upload.frame_id));
          showAnalysis(frame);
          analyzeStatus("Analysed in " + Math.round((Date.now() - started) / 1000) + " s.");
          return;
        } catch (err) {
          if (err.status !== 404) throw err;
        }
        if (Date.now() - started > 180000) throw new Error("no result after 3 minutes; is the workflow running?");
        await sleep(wait);
        wait = Math.min(wait * 1.5, 8000);
      }
    } catch (err) {
      if (run === analyzeRun) analyzeStatus("Could not analyze the photo: " + err.message, true);
    }
  }

  function showAnalysis(frame) {
    const labels = el("ul", { class: "plain" });
    for (const label of frame.labels || []) labels.append(el("li", {}, label.name + confidence(label.confidence)));
    if (!labels.children.length) labels.append(el("li", { class: "muted" }, "No objects recognised."));
    const people = el("ul", { class: "plain" });
    for (const face of frame.faces || []) {
      people.append(el("li", {}, face.person_id
        ? faceName(face) + " (similarity" + confidence(face.similarity) + ")"
        : "Unknown face"));
    }
    if (!people.children.length) people.append(el("li", { class: "muted" }, "No faces."));
    $("analyze-result").replaceChildren(
      frameCard(frame),
      el("div", { class: "card findings" },
        el("h3", {}, "Labels"), labels,
        el("h3", {}, "People"), people));
  }

  // --- People --------------------------------------------------------------------------------

  const personCam = webcam("person-video", "person-camera");
  let personSnapshot = null;

  function personStatus(text, problem) {
    const node = $("person-status");
    node.textContent = text;
    node.classList.toggle("problem", Boolean(problem));
  }

  async function refreshPeople() {
    const { people } = await api("/people");
    const rows = people.map((person) => el("tr", { "data-person-id": person.person_id },
      el("th", { scope: "row" }, person.display_name),
      el("td", {}, el("span", { class: "badge badge-" + person.status }, STATUS_TEXT[person.status] || person.status)),
      el("td", {}, String(person.face_count)),
      el("td", {}, formatTime(person.created_at)),
      el("td", {}, el("button", {
        type: "button", class: "danger", "aria-label": "Delete " + person.display_name,
        onclick: () => deletePerson(person),
      }, "Delete"))));
    $("people-body").replaceChildren(...rows);
    $("people-empty").hidden = people.length > 0;
  }

  async function deletePerson(person) {
    if (!window.confirm("Delete " + person.display_name + " and their enrolled faces?")) return;
    try {
      await api("/people/" + encodeURIComponent(person.person_id), { method: "DELETE" });
      personStatus(person.display_name + " was deleted.");
    } catch (err) {
      personStatus("Could not delete " + person.display_name + ": " + err.message, true);
    }
    pollers.people.now();
  }

  async function registerPerson(event) {
    event.preventDefault();
    const name = $("person-name").value.trim();
    const file = $("person-file").files[0];
    const photo = file || personSnapshot;
    if (!name) return personStatus("Enter a name.", true);
    if (!photo) return personStatus("Choose a photo or take a webcam snapshot.", true);
    try {
      personStatus("Registering " + name + "…");
      const jpeg = await toJpeg(photo);
      const created = await api("/people", { method: "POST", body: JSON.stringify({ display_name: name }) });
      await putImage(created.upload_url, created.upload_headers, jpeg);
      personStatus(created.person.display_name + " registered; the face is being enrolled.");
      $("person-form").reset();
      personSnapshot = null;
      $("person-snapshot").hidden = true;
      personCam.stop();
    } catch (err) {
      personStatus("Could not register: " + err.message, true);
    }
    pollers.people.now();
  }

  // --- tabs ------------------------------------------------------------------------------------

  const TAB_POLLERS = {
    live: ["cameras", "recent"], incidents: ["incidents", "alerts"], incident: [], analyze: [], people: ["people"],
  };

  /** "#incident/<id>" is the incident view; "#alerts" (old links) is now the incidents list. */
  function route() {
    const hash = window.location.hash.slice(1) || "live";
    if (hash.startsWith("incident/")) {
      try {
        return { tab: "incident", incidentId: decodeURIComponent(hash.slice("incident/".length)) };
      } catch {
        return { tab: "incidents" };
      }
    }
    if (hash === "alerts") return { tab: "incidents" };
    return { tab: hash in TAB_POLLERS ? hash : "live" };
  }

  function showTab() {
    const { tab, incidentId } = route();
    const navTab = tab === "incident" ? "incidents" : tab;
    for (const link of document.querySelectorAll("[data-tab]")) {
      if (link.dataset.tab === navTab) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    const panelId = tab === "incident" ? "incident-view" : "tab-" + tab;
    for (const panel of document.querySelectorAll(".tab-panel")) panel.hidden = panel.id !== panelId;
    for (const [pollerTab, names] of Object.entries(TAB_POLLERS)) {
      for (const pollName of names) (pollerTab === tab ? pollers[pollName].start : pollers[pollName].stop)();
    }
    if (tab === "incident") openIncident(incidentId);
    else pause();
    if (tab !== "analyze") analyzeCam.stop();
    if (tab !== "people") personCam.stop();
    if (tab === "analyze") FW.api("/health").then(() => connection(true), (err) => connection(false, err, 0));
  }

  function guard(task) {
    return (...args) => task(...args).catch((err) => connection(false, err, 0));
  }

  function init() {
    FW.setupKeyBanner();
    poller("cameras", refreshCameras, 3000);
    poller("recent", refreshRecent, 5000);
    poller("incidents", refreshIncidents, 5000);
    poller("alerts", refreshAlerts, 5000);
    poller("people", refreshPeople, 4000);

    $("recent-camera").addEventListener("change", resetRecent);
    $("recent-more").addEventListener("click", guard(loadOlderFrames));
    for (const name of FILTERS) $("incident-" + name).addEventListener("change", resetIncidents);
    $("incident-filters").addEventListener("submit", (event) => event.preventDefault());
    $("incidents-more").addEventListener("click", guard(loadOlderIncidents));
    $("alerts-more").addEventListener("click", guard(loadOlderAlerts));

    const report = (err) => viewStatus("Could not load more frames: " + err.message, true);
    $("incident-step-next").addEventListener("click", () => { pause(); stepNext().catch(report); });
    $("incident-step-prev").addEventListener("click", () => { pause(); stepBack(); });
    $("incident-play").addEventListener("click", () => (view.timer ? pause() : play()));
    document.addEventListener("keydown", onPlayerKey);

    $("analyze-file").addEventListener("change", (event) => {
      const file = event.target.files[0];
      if (file) analyze(file);
      event.target.value = "";
    });
    $("analyze-webcam").addEventListener("click", () =>
      analyzeCam.start().catch((err) => analyzeStatus("Webcam unavailable: " + err.message, true)));
    $("analyze-snap").addEventListener("click", async () => analyze(await analyzeCam.snapshot()));
    $("analyze-stop").addEventListener("click", () => analyzeCam.stop());

    $("person-form").addEventListener("submit", registerPerson);
    $("person-webcam").addEventListener("click", () =>
      personCam.start().catch((err) => personStatus("Webcam unavailable: " + err.message, true)));
    $("person-snap").addEventListener("click", async () => {
      const canvas = $("person-snapshot");
      personSnapshot = await personCam.snapshot(canvas);
      canvas.hidden = false;
      personStatus("Snapshot taken; press Register.");
    });
    $("person-stop").addEventListener("click", () => personCam.stop());

    FW.onKeyChange(() => Object.values(pollers).forEach((p) => p.active && p.now()));
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) Object.values(pollers).forEach((p) => p.active && p.now());
    });
    window.addEventListener("hashchange", showTab);
    showTab();
  }

  init();
})();
