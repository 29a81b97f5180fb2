// Shared by every page: safe DOM building, the API client and the API key banner.
// Data from the API is only ever set with textContent / createTextNode, never as HTML.
// The API key is never in a served file (config.js holds only the API's address): it comes once in
// the address's fragment (`framewatch up` prints …/#key=…; a fragment never reaches a server) or
// from the key banner, and is kept in this browser's localStorage.
"use strict";

const FW = (() => {
  const config = window.FRAMEWATCH || {};
  const KEY_STORE = "framewatch.apiKey";

  /** Takes `key=…` out of the fragment (keeping any route, e.g. #alerts&key=…) and returns it. */
  function keyFromFragment() {
    const fragment = window.location.hash.replace(/^#/, "");
    if (!/(^|&)key=/.test(fragment)) return "";
    const parts = fragment.split("&");
    const keyPart = parts.find((part) => part.startsWith("key="));
    const rest = parts.filter((part) => !part.startsWith("key=")).join("&");
    // Out of the address bar and the history at once, before any other script reads the route.
    history.replaceState(null, "", window.location.pathname + window.location.search + (rest ? "#" + rest : ""));
    return decodeURIComponent(keyPart.slice(4));
  }

  const given = keyFromFragment();
  if (given) localStorage.setItem(KEY_STORE, given);
  const state = {
    apiBase: config.apiBase || "/api",
    apiKey: given || localStorage.getItem(KEY_STORE) || "",
  };
  const keyListeners = [];

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  /** el("a", {href: x, class: "y"}, "text", child) — strings become text nodes. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = String(value);
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** Only http(s) or same-site paths may become an href/src (no javascript: from data). */
  function safeUrl(value) {
    if (typeof value !== "string" || !value) return null;
    try {
      const url = new URL(value, window.location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch {
      return null;
    }
  }

  async function api(path, options = {}) {
    if (!state.apiKey) {
      showKeyProblem("No API key: this page was not given one. Enter the frames API key to continue.");
      throw new ApiError(403, "No API key");
    }
    const headers = { "x-api-key": state.apiKey };
    if (options.body) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(state.apiBase + path, { ...options, headers });
    } catch (err) {
      throw new ApiError(0, "The frames API cannot be reached (" + err.message + ")");
    }
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (response.status === 403) {
      showKeyProblem("The frames API refused the API key (403 Forbidden). Enter a valid key.");
    }
    if (!response.ok) {
      const message = body && typeof body.message === "string" ? body.message : response.statusText;
      throw new ApiError(response.status, message || "HTTP " + response.status);
    }
    return body;
  }

  function showKeyProblem(message) {
    const banner = document.getElementById("key-banner");
    if (!banner) return;
    banner.querySelector(".key-message").textContent = message;
    banner.hidden = false;
  }

  function setupKeyBanner() {
    const banner = document.getElementById("key-banner");
    if (!banner) return;
    banner.querySelector("form").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = banner.querySelector("input");
      const value = input.value.trim();
      if (!value) return;
      state.apiKey = value;
      localStorage.setItem(KEY_STORE, value);
      input.value = "";
      banner.hidden = true;
      keyListeners.forEach((listener) => listener());
    });
    if (!state.apiKey) {
      showKeyProblem("No API key: this page was not given one. Enter the frames API key to continue.");
    }
  }

  function onKeyChange(listener) {
    keyListeners.push(listener);
  }

  function formatTime(iso) {
    const when = new Date(iso);
    if (Number.isNaN(when.getTime())) return String(iso || "");
    return when.toLocaleString(undefined, {
      year: "numeric", month: "short", day: "numeric",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
  }

  function ago(iso) {
    const seconds = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
    if (!Number.isFinite(seconds)) return "";
    if (seconds < 60) return Math.max(seconds, 0) + " s ago";
    if (seconds < 3600) return Math.round(seconds / 60) + " min ago";
    if (seconds < 86400) return Math.round(seconds / 3600) + " h ago";
    return Math.round(seconds / 86400) + " d ago";
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  return { ApiError, api, el, safeUrl, state, setupKeyBanner, onKeyChange, showKeyProblem,
           formatTime, ago, sleep };
})();
