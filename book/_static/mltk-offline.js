/* mltk: serve the ipywidgets embed manager from the site itself (no CDN at page load).
 *
 * myst-nb loads this on pages with saved widget state, between require.js and the
 * @jupyter-widgets/html-manager embed script (see nb_ipywidgets_js in _config.yml).
 * 1. require.config: each AMD module bundled in embed-amd.js derives its webpack public
 *    path (where its icon fonts live) from its module URL, which by default is relative to
 *    the page (e.g. book/@jupyter-widgets/<hash>.woff2: 404). Map every module id so that
 *    its URL lies directly in _static/vendor/html-manager/, next to the fonts. The modules
 *    are defined by name inside embed-amd.js: these URLs are never fetched themselves.
 * 2. MathJax: the widget manager typesets labels with the MathJax 2 API
 *    (MathJax.Hub.Queue(["Typeset", MathJax.Hub, element])); Sphinx loads MathJax 3.
 *    Provide that one call on top of MathJax 3's typesetPromise. Jupyter writes widget
 *    math as $...$, which Sphinx's MathJax 3 configuration does not treat as math: turn
 *    it into \(...\) inside that element only, as Jupyter's own MathJax setup would.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var staticRoot = script ? script.src.replace(/[^/]*$/, "") : "_static/";
  var managerDir = staticRoot + "vendor/html-manager";

  window.__jupyter_widgets_assets_path__ = managerDir + "/";
  if (typeof window.requirejs === "function") {
    var paths = { "@jupyter-widgets/html-manager/dist": managerDir };
    ["base", "base7", "controls", "controls7", "html-manager"].forEach(function (name) {
      paths["@jupyter-widgets/" + name] = managerDir + "/" + name;
    });
    window.requirejs.config({ paths: paths });
  }

  function dollarsToDelimiters(element) {
    var walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      var text = node.nodeValue;
      var tex = text
        .replace(/\$\$([^$]+)\$\$/g, "\\[$1\\]")
        .replace(/\$([^$\n]+)\$/g, "\\($1\\)");
      if (tex !== text) {
        node.nodeValue = tex;
      }
    }
  }

  function typeset(element) {
    var mj = window.MathJax;
    if (!mj || typeof mj.typesetPromise !== "function") {
      return;
    }
    if (element && element.nodeType === 1) {
      dollarsToDelimiters(element);
    }
    var ready = mj.startup && mj.startup.promise ? mj.startup.promise : Promise.resolve();
    ready
      .then(function () {
        return mj.typesetPromise(element ? [element] : undefined);
      })
      .catch(function (err) {
        console.warn("mltk: MathJax could not typeset a widget label", err);
      });
  }

  function installHubShim() {
    var mj = window.MathJax;
    // Only on the loaded MathJax 3 object (before it loads, window.MathJax is its config).
    if (!mj || mj.Hub || typeof mj.typesetPromise !== "function") {
      return;
    }
    mj.Hub = {
      Queue: function () {
        for (var i = 0; i < arguments.length; i++) {
          var job = arguments[i];
          if (Array.isArray(job) && job[0] === "Typeset") {
            typeset(job[2]);
          } else if (typeof job === "function") {
            job();
          }
        }
      },
    };
  }

  // MathJax 3 is loaded with "defer": it exists by DOMContentLoaded; widgets render on "load".
  document.addEventListener("DOMContentLoaded", installHubShim);
  window.addEventListener("load", installHubShim);
})();
