/* mltk: make a calculator page compute on the website itself (live mode).
 *
 * Added by book/_ext/mltk_live.py to pages with calculators. One control above the first
 * calculator, "Compute live", connects to a Jupyter kernel, runs the page's code cells
 * (listed in #mltk-live-cells) in place, and swaps each frozen calculator for the live one,
 * which from then on recomputes on the kernel as the reader changes an input.
 *
 * The kernel source comes from _static/mltk-live.json, read when the page loads: the local
 * Jupyter server of `python3 tasks.py serve --live` (which answers that path itself, token
 * included), a team's Jupyter server or JupyterHub (mltk_live_jupyter_url), or Binder. With
 * none, or when the kernel cannot be reached, the control says why and the frozen values stay.
 *
 * The kernel connection and the widget rendering are Thebe's (thebe-core, with the ipywidgets 8
 * managers), vendored in _static/vendor/thebe by tools/fetch_assets.py and loaded on click.
 * window.mltkLive exposes the state and timings (bench/bench_live.py reads them).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var staticRoot = script ? script.src.replace(/[^/]*$/, "") : "_static/";
  var WIDGET_VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]';
  var STATIC_HINT =
    "To compute on your own machine, run python3 tasks.py serve --live in a clone of the " +
    "book's repository and open the address it prints; or open this chapter in JupyterLab " +
    "(python3 tasks.py lab).";

  var live = (window.mltkLive = { state: "idle", timings: {}, message: "" });

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      e.setAttribute(k, attrs[k]);
    });
    if (text) e.textContent = text;
    return e;
  }

  function pageCells() {
    var data = document.getElementById("mltk-live-cells");
    return data ? JSON.parse(data.textContent) : null;
  }

  /* Code cells whose frozen output holds a calculator: [{id, container, output}]. */
  function calculatorCells(page) {
    var found = [];
    page.cells.forEach(function (cell) {
      var container = document.querySelector(".mltk-live-cell-" + cell.index);
      var output = container && container.querySelector(".cell_output");
      if (output && output.querySelector(WIDGET_VIEW)) {
        found.push({ id: cell.id, container: container, output: output });
      }
    });
    return found;
  }

  function loadOnce(id, make) {
    var existing = document.getElementById(id);
    if (existing) return existing._mltkLoaded;
    var node = make();
    node.id = id;
    node._mltkLoaded = new Promise(function (resolve, reject) {
      node.addEventListener("load", resolve);
      node.addEventListener("error", function () {
        reject(new Error("the live runtime (" + (node.src || node.href) + ") did not load"));
      });
    });
    document.head.appendChild(node);
    return node._mltkLoaded;
  }

  /* Thebe's widget manager fetches require.js from cdnjs before it renders any widget (it
   * defines the ipywidgets modules in it for third-party widgets). Serve the site's own
   * copy (vendor/requirejs, 2.3.7: the same API as the 2.3.6 it asks for) instead. */
  var CDN_REQUIREJS = "https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.6/require.min.js";
  function serveRequireJsLocally() {
    if (window.fetch._mltkLive) return;
    var realFetch = window.fetch;
    var localFetch = function (input, init) {
      var url = typeof input === "string" ? input : input && input.url;
      if (url === CDN_REQUIREJS) {
        return realFetch.call(window, staticRoot + "vendor/requirejs/require.js", init);
      }
      return realFetch.apply(window, arguments);
    };
    localFetch._mltkLive = true;
    window.fetch = localFetch;
  }

  function loadThebe() {
    var vendor = staticRoot + "vendor/thebe/";
    serveRequireJsLocally();
    var css = loadOnce("mltk-thebe-css", function () {
      return el("link", { rel: "stylesheet", href: vendor + "thebe.css" });
    });
    var js = loadOnce("mltk-thebe-js", function () {
      return el("script", { src: vendor + "index.js" });
    });
    return Promise.all([css, js]).then(function () {
      if (!window.thebeCore || !window.thebeCore.api) {
        throw new Error("the live runtime loaded but did not start");
      }
      return window.thebeCore.api;
    });
  }

  function readSettings() {
    return fetch(staticRoot + "mltk-live.json", { cache: "no-store" })
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .catch(function () {
        return null; // opened from file:// or the file is missing: no kernel source
      });
  }

  /* What the control offers, in plain words: {kind, label, note, reason}. */
  function describe(settings) {
    if (settings && settings.jupyterUrl) {
      if (settings.reachable === false) {
        return { kind: "none", reason: settings.reason || "The Jupyter server does not answer." };
      }
      var local = settings.source === "local";
      return {
        kind: "jupyter",
        note: local
          ? "Compute live runs this page's Python on the Jupyter server started with the book (" +
            "python3 tasks.py serve --live), on this machine."
          : "Compute live runs this page's Python on your team's Jupyter server (" + settings.jupyterUrl + ").",
      };
    }
    if (settings && settings.binder) {
      return {
        kind: "binder",
        note:
          "Compute live runs this page's Python on Binder (" + settings.binder.binderUrl + "), which " +
          "builds the book's repository first: allow a minute or more, and an internet connection.",
      };
    }
    return {
      kind: "none",
      reason: "No Jupyter kernel is available to this copy of the book: it is served as a " +
        "static website. " + STATIC_HINT,
    };
  }

  function plainError(err, offer, settings) {
    var text = String((err && err.message) || err || "unknown error");
    if (offer.kind === "binder") {
      return "Binder could not start a kernel for this book (" + text + "). Binder needs an " +
        "internet connection and can be busy; try again later. " + STATIC_HINT;
    }
    var where = settings && settings.jupyterUrl ? settings.jupyterUrl : "the Jupyter server";
    if (/not reachable|Failed to fetch|NetworkError|ECONNREFUSED/i.test(text)) {
      return "The Jupyter server at " + where + " does not answer: it may have stopped. " +
        "Restart python3 tasks.py serve --live and reload this page.";
    }
    if (/403|401|Forbidden|Unauthorized|token/i.test(text)) {
      return "The Jupyter server at " + where + " refused the connection: the token is wrong " +
        "or the server does not allow this site's address.";
    }
    return "The page could not be made live: " + text + ".";
  }

  function setup() {
    var page = pageCells();
    if (!page || !page.cells.length) return;
    var calculators = calculatorCells(page);
    if (!calculators.length) return;

    var box = el("div", { class: "mltk-live", "data-state": "idle" });
    var button = el("button", { type: "button", class: "mltk-live-button" }, "Compute live");
    var tokenInput = null; // shown for a team server when no token was handed over
    var status = el("span", { class: "mltk-live-status", role: "status", "aria-live": "polite" },
      "The calculator below shows its default values.");
    box.appendChild(button);
    box.appendChild(status);
    calculators[0].container.parentNode.insertBefore(box, calculators[0].container);

    var settings = null;
    var offer = null;
    var session = null;
    var liveOutputs = [];

    function setState(state, message) {
      live.state = state;
      live.message = message || "";
      box.setAttribute("data-state", state);
      if (message) status.textContent = message;
    }

    var ready = readSettings().then(function (s) {
      settings = s;
      offer = describe(s);
      if (offer.kind === "none") {
        status.textContent = "The calculator below shows its default values. " + offer.reason;
      } else {
        status.textContent = "The calculator below shows its default values. " + offer.note;
        if (offer.kind === "jupyter" && !s.token && s.source !== "local") {
          // In a form, as browsers expect of a password field; Enter starts the connection.
          var form = el("form", { class: "mltk-live-token-form" });
          tokenInput = el("input", {
            type: "password", class: "mltk-live-token", autocomplete: "off",
            "aria-label": "Token for your team's Jupyter server", placeholder: "token",
          });
          form.appendChild(tokenInput);
          form.addEventListener("submit", function (e) {
            e.preventDefault();
            button.click();
          });
          box.insertBefore(form, status);
        }
      }
    });

    function restoreFrozen() {
      liveOutputs.forEach(function (div) {
        div.remove();
      });
      liveOutputs = [];
      calculators.forEach(function (c) {
        c.output.hidden = false;
      });
    }

    function stop() {
      var s = session;
      session = null;
      restoreFrozen();
      button.textContent = "Compute live";
      setState("idle", "Stopped: the calculator below shows its default values again.");
      if (s) s.shutdown().catch(function () {});
    }

    function start() {
      var t0 = performance.now();
      if (offer.kind === "none") {
        setState("failed", offer.reason + " The values shown are for the default inputs.");
        return Promise.resolve();
      }
      button.disabled = true;
      setState("connecting", "Loading the live runtime…");
      var core, server, notebook, rendermime;
      return loadThebe()
        .then(function (api) {
          core = api;
          live.timings.runtimeMs = performance.now() - t0;
          var options = {
            kernelOptions: { kernelName: "python3" },
            savedSessionOptions: { enabled: false },
            // Typeset through the page's own MathJax 3 (mltk-offline.js), not a CDN copy.
            mathjaxUrl: staticRoot + "mltk-live-mathjax.js",
          };
          if (offer.kind === "binder") {
            options.binderOptions = settings.binder;
          } else {
            var base = settings.jupyterUrl.replace(/\/?$/, "/");
            options.serverSettings = {
              baseUrl: base, wsUrl: base.replace(/^http/, "ws"),
              token: settings.token || (tokenInput ? tokenInput.value.trim() : ""),
              appendToken: true,
            };
          }
          var config = core.makeConfiguration(options, core.makeEvents());
          rendermime = core.makeRenderMimeRegistry(config.mathjax);
          notebook = core.setupNotebookFromBlocks(
            page.cells.map(function (c) {
              return { id: c.id, source: c.source };
            }), config, rendermime);
          server = core.makeServer(config);
          setState("connecting", offer.kind === "binder"
            ? "Asking Binder for a kernel (this builds the repository first)…"
            : "Connecting to the Jupyter server…");
          var connect = offer.kind === "binder"
            ? server.connectToServerViaBinder() : server.connectToJupyterServer();
          return connect.then(function () {
            return server.ready;
          });
        })
        .then(function () {
          setState("connecting", "Starting a Python kernel…");
          // A session path of its own for each reader and page load (Jupyter hands an existing
          // session on the same path back, kernel and all): "<page dir>/<page>.live-<id>.ipynb".
          // The kernel runs in the page's folder, as the book build ran it; no file is created.
          var id = Math.random().toString(36).slice(2, 10);
          var sessionPath = page.path.replace(/\.[^./]*$/, "") + ".live-" + id + ".ipynb";
          return server.startNewSession(rendermime, { kernelName: "python3", path: sessionPath });
        })
        .then(function (s) {
          if (!s) throw new Error("the server started no kernel");
          session = s;
          notebook.attachSession(s);
          calculators.forEach(function (c) {
            var div = el("div", { class: "cell_output mltk-live-output", hidden: "" });
            c.output.parentNode.insertBefore(div, c.output.nextSibling);
            liveOutputs.push(div);
            notebook.getCellById(c.id).attachToDOM(div);
          });
          setState("connecting", "Running this page's code on the kernel…");
          live.timings.kernelMs = performance.now() - t0;
          return notebook.executeAll(true);
        })
        .then(function (results) {
          var failed = (results || []).filter(function (r) {
            return r && r.error;
          });
          if (failed.length) {
            var cell = notebook.getCellById(failed[0].id);
            var err = (cell && cell.outputs || []).filter(function (o) {
              return o.output_type === "error";
            })[0];
            throw new Error("a code cell of this page failed on the kernel (" +
              (err ? err.ename + ": " + err.evalue : failed[0].id) + "); if the code " +
              "changed since the book was built, rebuild it (python3 tasks.py book)");
          }
          calculators.forEach(function (c, i) {
            c.output.hidden = true;
            liveOutputs[i].hidden = false;
          });
          live.timings.liveMs = performance.now() - t0;
          button.textContent = "Stop computing live";
          button.disabled = false;
          var where = offer.kind === "binder" ? "Binder" : settings.source === "local"
            ? "the local Jupyter server" : settings.jupyterUrl;
          setState("live", "Live: the calculator recomputes on a Python kernel (" + where +
            ") as you change an input.");
        })
        .catch(function (err) {
          var s = session;
          session = null;
          restoreFrozen();
          if (s) s.shutdown().catch(function () {});
          button.disabled = false;
          setState("failed", plainError(err, offer, settings) +
            " The values shown are for the default inputs.");
        });
    }

    button.addEventListener("click", function () {
      ready.then(function () {
        if (session && live.state === "live") {
          stop();
        } else if (live.state !== "connecting") {
          start();
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
