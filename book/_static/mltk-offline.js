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
 *    Provide that one call on top of MathJax 3's typesetPromise.
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

  function typeset(element) {
    var mj = window.MathJax;
    if (!mj || typeof mj.typesetPromise !== "function") {
      return;
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
