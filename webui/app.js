// framewatch web UI: camera wall, alerts timeline, photo analysis and people, kept fresh by polling.
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

  function frameMedia(frame) {
    const src = safeUrl(frame.image_url);
    const media = el("div", { class: "frame-media" });
    if (frame.width && frame.height) media.style.aspectRatio = frame.width + " / " + frame.height;
    media.append(src
      ? el("img", { src, alt: "Frame from camera " + frame.camera_id + " at " + formatTime(frame.captured_at), loading: "lazy" })
      : el("div", { class: "no-image" }, "Image unavailable"));
    for (const label of frame.labels || []) {
      for (const instance of label.instances || []) {
        media.append(boxNode(instance.box, "label", label.name + confidence(instance.confidence ?? label.confidence)));
      }
    }
    for (const face of frame.faces || []) {
      const similarity = typeof face.similarity === "number" ? " " + Math.round(face.similarity) + "%" : "";
      media.append(boxNode(face.box, face.person_id ? "person" : "face", faceName(face) + similarity));
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
      list.prepend(frameCard(frame));
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

  // --- Alerts --------------------------------------------------------------------------------

  const alerts = { ids: new Set(), next: null, started: false };

  function alertItem(alert) {
    const src = safeUrl(alert.image_url);
    const exec = safeUrl(alert.execution_url);
    return el("li", { class: "alert card alert-" + (alert.status === "sent" ? "sent" : "suppressed"), "data-alert-id": alert.alert_id },
      src ? el("img", { class: "thumb", src, alt: "Frame " + alert.frame_id + " that raised this alert", loading: "lazy" }) : null,
      el("div", { class: "alert-body" },
        el("div", { class: "alert-head" },
          el("span", { class: "badge badge-" + (alert.status === "sent" ? "sent" : "suppressed") }, alert.status),
          el("time", { datetime: alert.captured_at }, formatTime(alert.captured_at))),
        el("p", { class: "alert-subject" }, alert.subject_line || alert.subject || alert.rule),
        alert.message ? el("p", { class: "muted" }, alert.message) : null,
        el("p", { class: "alert-meta" },
          "Camera ", el("strong", {}, alert.camera_id), " · frame ", el("code", {}, alert.frame_id),
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

  const TAB_POLLERS = { live: ["cameras", "recent"], alerts: ["alerts"], analyze: [], people: ["people"] };

  function showTab() {
    const name = (window.location.hash || "#live").slice(1);
    const tab = name in TAB_POLLERS ? name : "live";
    for (const link of document.querySelectorAll("[data-tab]")) {
      if (link.dataset.tab === tab) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    for (const panel of document.querySelectorAll(".tab-panel")) panel.hidden = panel.id !== "tab-" + tab;
    for (const [pollerTab, names] of Object.entries(TAB_POLLERS)) {
      for (const pollName of names) (pollerTab === tab ? pollers[pollName].start : pollers[pollName].stop)();
    }
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
    poller("alerts", refreshAlerts, 5000);
    poller("people", refreshPeople, 4000);

    $("recent-camera").addEventListener("change", resetRecent);
    $("recent-more").addEventListener("click", guard(loadOlderFrames));
    $("alerts-more").addEventListener("click", guard(loadOlderAlerts));

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
