/* mltk: the "MathJax 2" that Thebe's renderers load in live mode (its mathjaxUrl).
 *
 * JupyterLab's MathJax 2 typesetter, bundled in Thebe, loads mathjaxUrl, then calls
 * MathJax.Hub.Config, MathJax.Hub.Configured and MathJax.Hub.Queue. Pages with calculators
 * already run MathJax 3 from _static/vendor/mathjax, and mltk-offline.js gives it a
 * MathJax.Hub.Queue that typesets through MathJax 3. This file adds the two configuration
 * calls as no-ops, so live outputs are typeset by the page's MathJax and nothing is
 * fetched from a CDN.
 */
(function () {
  "use strict";
  var mj = window.MathJax || (window.MathJax = {});
  var hub = mj.Hub || (mj.Hub = { Queue: function () {} });
  hub.Config = hub.Config || function () {};
  hub.Configured = hub.Configured || function () {};
})();
